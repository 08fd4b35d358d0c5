import { test } from "node:test";
import assert from "node:assert/strict";
import { pipelineErrorKey, stagesBody } from "../src/pipelines.js";

test("pipeline errors go to their field: the name, a stage's name or colour, the stage list", () => {
  assert.equal(pipelineErrorKey("name"), "name");
  assert.equal(pipelineErrorKey("description"), "description");
  assert.equal(pipelineErrorKey("pipelineStages[2].name"), "stage.2.name");
  assert.equal(pipelineErrorKey("pipelineStages[0].color"), "stage.0.color");
  assert.equal(pipelineErrorKey("pipelineStages[1].position"), "stage.1.name");
  assert.equal(pipelineErrorKey("pipelineStages[4]"), "stage.4.name");
  assert.equal(pipelineErrorKey("pipelineStages"), "stages");
  assert.equal(pipelineErrorKey("type"), "");
  assert.equal(pipelineErrorKey(null), "");
});

test("the stages of an upsert: ids kept, names trimmed, positions in the editor's order", () => {
  assert.deepEqual(stagesBody([
    { key: 1, _id: "a".repeat(24), name: " Won ", color: "#00ff00" },
    { key: 2, _id: null, name: "Fresh", color: "#6b7280" },
  ]), [
    { _id: "a".repeat(24), name: "Won", color: "#00ff00", position: 0 },
    { name: "Fresh", color: "#6b7280", position: 1 },
  ]);
  assert.deepEqual(stagesBody([]), []);
});
