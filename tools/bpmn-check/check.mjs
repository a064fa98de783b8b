// Reads each diagram the way bpmn.io and Camunda Modeler do (bpmn-moddle) and fails on any warning:
// unresolved references, unknown elements or attributes would show as broken diagrams there.
import { readFileSync } from "node:fs";
import { BpmnModdle } from "bpmn-moddle";

let failed = false;
for (const path of process.argv.slice(2)) {
  const moddle = new BpmnModdle();
  try {
    const { rootElement, warnings } = await moddle.fromXML(readFileSync(path, "utf8"));
    const diagrams = rootElement.diagrams || [];
    if (warnings.length) {
      failed = true;
      for (const w of warnings) console.log(`${path}: ${w.message}`);
    } else if (!diagrams.length || !diagrams[0].plane.planeElement?.length) {
      failed = true;
      console.log(`${path}: no BPMNDI diagram: modelers would show an empty canvas`);
    } else {
      console.log(`${path}: ok (${diagrams[0].plane.planeElement.length} diagram elements)`);
    }
  } catch (err) {
    failed = true;
    console.log(`${path}: ${err.message}`);
  }
}
process.exit(failed ? 1 : 0);
