package dev.gem.engine.cli;

import dev.gem.engine.Chat;
import dev.gem.engine.ChatReply;
import dev.gem.engine.GenerateOptions;
import dev.gem.engine.Model;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;

/**
 * {@code gem --chat}: reads user messages from standard input (one per line; a line ending in a backslash continues
 * on the next), streams the assistant's replies to standard output, and prints each turn's timing to standard error.
 * {@code /reset} starts over, {@code /exit} or end of input ends.
 */
final class ChatLoop {
    private final Model model;
    private final GenerateOptions options;
    private final String system;
    private final PrintWriter out, err;

    private final DomainArgs.Collector routes;

    /** @param routes where to collect each turn's token routes for printing (null: not shown) */
    ChatLoop(Model model, GenerateOptions options, String system, PrintWriter out, PrintWriter err, DomainArgs.Collector routes) {
        this.routes = routes;
        this.model = model;
        this.options = options;
        this.system = system;
        this.out = out;
        this.err = err;
    }

    int run(String firstMessage) throws IOException {
        try (Chat chat = Chat.open(model)) {
            if (chat.usesDefaultTemplate())
                err.println("gem: the model has no chat template (tokenizer.chat_template); using ChatML");
            if (system != null) chat.system(system);
            if (routes != null) chat.session().setRoutingListener(routes);
            BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
            String message = firstMessage;
            if (message == null) {
                err.println("gem: chatting with " + model.file().name() + "; /reset starts over, /exit or Ctrl-D ends");
                message = read(in);
            }
            while (message != null) {
                switch (message.strip()) {
                    case "/exit" -> { return 0; }
                    case "/reset" -> {
                        chat.reset();
                        if (system != null) chat.system(system);
                        err.println("gem: conversation cleared");
                    }
                    case "" -> { }
                    default -> turn(chat, message);
                }
                message = read(in);
            }
            return 0;
        }
    }

    private void turn(Chat chat, String message) {
        try {
            ChatReply r = chat.send(message, options, (id, piece) -> {
                out.print(piece);
                out.flush();
                return true;
            });
            out.println();
            out.flush();
            if (routes != null) routes.print(err, model);
            err.println("gem: " + r.generation().summary());
        } catch (IllegalStateException e) {
            err.println("gem: " + e.getMessage());
        }
    }

    private String read(BufferedReader in) throws IOException {
        err.print("> ");
        err.flush();
        StringBuilder b = new StringBuilder();
        String line;
        while ((line = in.readLine()) != null) {
            if (line.endsWith("\\")) {
                b.append(line, 0, line.length() - 1).append('\n');
                continue;
            }
            return b.append(line).toString();
        }
        return b.isEmpty() ? null : b.toString();
    }
}
