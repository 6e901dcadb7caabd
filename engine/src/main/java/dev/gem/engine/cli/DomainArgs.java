package dev.gem.engine.cli;

import dev.gem.engine.AdapterFile;
import dev.gem.engine.DomainSelection;
import dev.gem.engine.GenerateOptions;
import dev.gem.engine.Model;
import dev.gem.engine.ModelOptions;
import dev.gem.engine.TokenRoute;
import dev.gem.tokenizer.Tokenizer;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** Domain experts on the command line: adapters to load, which one tokens get, and showing how tokens were routed. */
public final class DomainArgs {
    @Option(names = "--adapter", paramLabel = "NAME=FILE[@SCALE]",
            description = "load a LoRA adapter (llama.cpp GGUF adapter) for domain NAME; repeatable")
    List<String> adapters = new ArrayList<>();

    @Option(names = "--domain", paramLabel = "auto|none|NAME",
            description = "adapter selection: auto = per token by the model's domain router, none = base model, NAME = that domain's adapter for every token "
                    + "(default: auto with a router, else the only adapter)")
    String domain;

    @Option(names = "--show-routing", description = "after generating, print one line per token to standard error: domain, router probability, exit layer, experts")
    boolean showRouting;

    /** Opens the model with the adapters loaded. */
    Model open(ModelArgs modelArgs) throws IOException {
        ModelOptions o = modelArgs.options();
        for (String a : adapters) o = o.withAdapter(AdapterFile.parse(a));
        if (modelArgs.model == null && !adapters.isEmpty()) throw new IllegalArgumentException("--adapter needs a model (-m)");
        return modelArgs.model == null ? Model.loadDemo(o) : Model.load(modelArgs.model, o);
    }

    GenerateOptions apply(GenerateOptions opts) {
        return domain == null ? opts : opts.withDomain(DomainSelection.parse(domain));
    }

    /** One line per token, e.g. {@code route pos=5 token=378 text=" time" domain=law p=0.912 exit=4/4 experts=1,3|2,0}. */
    static String describe(TokenRoute r, Tokenizer tok, int layers) {
        StringBuilder b = new StringBuilder(String.format(Locale.ROOT, "route pos=%d token=%d text=%s domain=%s p=%s exit=%d/%d",
                r.position(), r.token(), quote(tok.decode(new int[]{r.token()}, true)), r.domain() == null ? "general" : r.domain(),
                Float.isNaN(r.probability()) ? "-" : String.format(Locale.ROOT, "%.3f", r.probability()), r.exitLayer(), layers));
        if (r.experts() != null) {
            b.append(" experts=");
            for (int l = 0; l < r.experts().length; l++) {
                if (l > 0) b.append('|');
                int[] e = r.experts()[l];
                if (e == null) b.append('-');
                else for (int i = 0; i < e.length; i++) b.append(i == 0 ? "" : ",").append(e[i]);
            }
        }
        return b.toString();
    }

    private static String quote(String s) {
        StringBuilder b = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            if (c == '"' || c == '\\') b.append('\\').append(c);
            else if (c == '\n') b.append("\\n");
            else if (c < 0x20) b.append(String.format("\\u%04x", (int) c));
            else b.append(c);
        }
        return b.append('"').toString();
    }

    /** Collects routes during generation, printed after it so they do not interleave with the streamed text. */
    static final class Collector implements dev.gem.engine.RoutingListener {
        private final List<TokenRoute> routes = new ArrayList<>();

        @Override
        public void onRoute(TokenRoute r) { routes.add(r); }

        /** Prints the routes collected so far and forgets them. */
        void print(PrintWriter err, Model m) {
            for (TokenRoute r : routes) err.println(describe(r, m.tokenizer(), m.config().layers()));
            err.flush();
            routes.clear();
        }
    }
}
