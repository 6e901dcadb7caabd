// Regenerates expected/ from templates/ and conversations/ with @huggingface/jinja (the reference) and cross-checks every
// case with minijinja-js (a second, independent Jinja2 implementation). Disagreements are written to divergences.txt;
// each must be settled by Jinja2's documented (Python) semantics before an expected file is trusted.
//
//   npm install @huggingface/jinja@0.5.11 minijinja-js@2.11.0
//   NODE_PATH=$(npm root) node render-expected.mjs
//
// Rendering context, as transformers' apply_chat_template builds it: messages, tools (None when not given),
// documents (None), add_generation_prompt, the special tokens bos_token/eos_token (left out when the tokenizer has
// none), then the conversation's extra keyword arguments.
import fs from "node:fs";
import path from "node:path";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const { Template } = require("@huggingface/jinja");
const minijinja = require("minijinja-js");
const here = path.dirname(new URL(import.meta.url).pathname);
const tokens = JSON.parse(fs.readFileSync(path.join(here, "templates", "special-tokens.json"), "utf8"));

function context(conv, addGenerationPrompt, special) {
  const ctx = { messages: conv.messages, tools: conv.tools ?? null, documents: null, add_generation_prompt: addGenerationPrompt };
  for (const [k, v] of Object.entries(special)) if (v !== null) ctx[k] = v;
  return Object.assign(ctx, conv.extra ?? {});
}

function renderReference(source, ctx) {
  try { return { text: new Template(source).render(ctx) }; } catch (e) { return { error: String(e.message ?? e) }; }
}

function renderMinijinja(source, ctx) {
  const env = new minijinja.Environment();
  env.trimBlocks = true;
  env.lstripBlocks = true;
  env.enablePyCompat();
  env.addGlobal("raise_exception", (m) => { throw new Error(m); });
  // transformers' tojson: json.dumps(x, ensure_ascii=False) — ", " and ": " separators, keys in insertion order.
  env.addFilter("tojson", (v) => pyJson(v));
  try { return { text: env.renderStr(source, ctx) }; } catch (e) { return { error: String(e.message ?? e) }; }
}

function sortKeys(v) {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v !== null && typeof v === "object") return Object.fromEntries(Object.keys(v).sort().map((k) => [k, sortKeys(v[k])]));
  return v;
}

function pyJson(v) {
  if (v === null || v === undefined) return "null";
  if (v instanceof Map) return "{" + [...v.entries()].map(([k, x]) => JSON.stringify(k) + ": " + pyJson(x)).join(", ") + "}";
  if (Array.isArray(v)) return "[" + v.map(pyJson).join(", ") + "]";
  if (typeof v === "object") return "{" + Object.entries(v).map(([k, x]) => JSON.stringify(k) + ": " + pyJson(x)).join(", ") + "}";
  return JSON.stringify(v);
}

// Cases where @huggingface/jinja departs from Python's Jinja2 and minijinja-js gives the Python answer: the expected
// file takes minijinja-js's rendering. Each entry says which Python rule decides.
const PYTHON_WINS = {
  "qwen3/multi-turn-system": "str.lstrip('\\n') strips only newlines; @huggingface/jinja 0.5.11 also strips the leading space",
};

const templates = fs.readdirSync(path.join(here, "templates")).filter((f) => f.endsWith(".jinja")).sort();
const conversations = fs.readdirSync(path.join(here, "conversations")).filter((f) => f.endsWith(".json")).sort();
const divergences = [];
let cases = 0;
fs.rmSync(path.join(here, "expected"), { recursive: true, force: true });
for (const t of templates) {
  const name = t.replace(/\.jinja$/, "");
  const source = fs.readFileSync(path.join(here, "templates", t), "utf8");
  const outDir = path.join(here, "expected", name);
  fs.mkdirSync(outDir, { recursive: true });
  for (const c of conversations) {
    const conv = JSON.parse(fs.readFileSync(path.join(here, "conversations", c), "utf8"));
    for (const gen of [false, true]) {
      const ctx = context(conv, gen, tokens[name] ?? {});
      const ref = renderReference(source, structuredClone(ctx));
      const other = renderMinijinja(source, structuredClone(ctx));
      const base = path.join(outDir, c.replace(/\.json$/, "") + (gen ? ".gen" : ".nogen"));
      const key = name + "/" + c.replace(/\.json$/, "");
      const chosen = PYTHON_WINS[key] !== undefined ? other : ref;
      if (chosen.error !== undefined) fs.writeFileSync(base + ".error.txt", chosen.error);
      else fs.writeFileSync(base + ".txt", chosen.text);
      cases++;
      // minijinja-js receives JS objects as sorted maps, so it is compared with a reference rendering of key-sorted data.
      const sorted = renderReference(source, sortKeys(structuredClone(ctx)));
      const same = ref.error !== undefined ? other.error !== undefined : other.text === sorted.text;
      if (!same) divergences.push(`${name} ${c} gen=${gen}${PYTHON_WINS[key] ? " — expected file follows Python: " + PYTHON_WINS[key] : " — UNRESOLVED"}\n  @huggingface/jinja: ${JSON.stringify(ref)}\n  minijinja-js:       ${JSON.stringify(other)}`);
    }
  }
}
fs.writeFileSync(path.join(here, "divergences.txt"), divergences.join("\n\n") + "\n");
console.log(`${cases} cases, ${divergences.length} divergences between @huggingface/jinja and minijinja-js`);
