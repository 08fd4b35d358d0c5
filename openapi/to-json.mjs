// openapi.yaml → the JSON that crmd embeds and serves: node openapi/to-json.mjs IN.yaml OUT.json
// A document that does not parse, or whose top level is not an OpenAPI 3.1 object, fails the build.
import { readFileSync, writeFileSync } from "node:fs";
import yaml from "js-yaml";

const [input, output] = process.argv.slice(2);
if (!input || !output) {
  console.error("usage: node openapi/to-json.mjs openapi.yaml openapi.json");
  process.exit(2);
}
const doc = yaml.load(readFileSync(input, "utf8"), { schema: yaml.JSON_SCHEMA, filename: input });
if (!doc || typeof doc !== "object" || !String(doc.openapi).startsWith("3.1")) {
  console.error(`${input}: not an OpenAPI 3.1 document`);
  process.exit(1);
}
writeFileSync(output, JSON.stringify(doc) + "\n");
