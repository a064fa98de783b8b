"""The BPMN diagram interchange (BPMNDI) of rectification.bpmn is complete and consistent.

Pure file checks, no database: every flow node has a shape, every sequence flow an edge
whose ends sit on its source and target, shapes nest in their subprocess / lane /
participant, and the file still parses with SpiffWorkflow.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree

BPMN_FILE = Path(__file__).resolve().parents[2] / "bpmn" / "rectification.bpmn"

NS = {
    "bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL",
    "bpmndi": "http://www.omg.org/spec/BPMN/20100524/DI",
    "dc": "http://www.omg.org/spec/DD/20100524/DC",
    "di": "http://www.omg.org/spec/DD/20100524/DI",
}

FLOW_NODE_TAGS = {
    "startEvent", "endEvent", "intermediateThrowEvent", "intermediateCatchEvent", "boundaryEvent",
    "task", "userTask", "scriptTask", "serviceTask", "manualTask", "sendTask", "receiveTask",
    "businessRuleTask", "callActivity", "subProcess", "transaction",
    "exclusiveGateway", "parallelGateway", "inclusiveGateway", "eventBasedGateway", "complexGateway",
}
TOLERANCE = 2.0

Box = tuple[float, float, float, float]  # x, y, width, height


@pytest.fixture(scope="module")
def root() -> etree._Element:
    return etree.parse(str(BPMN_FILE)).getroot()


@pytest.fixture(scope="module")
def process(root: etree._Element) -> etree._Element:
    [proc] = root.findall("bpmn:process", NS)
    return proc


@pytest.fixture(scope="module")
def plane(root: etree._Element) -> etree._Element:
    [diagram] = root.findall("bpmndi:BPMNDiagram", NS)
    [pl] = diagram.findall("bpmndi:BPMNPlane", NS)
    return pl


def _local(el: etree._Element) -> str:
    return etree.QName(el).localname


def _flow_nodes(container: etree._Element) -> list[etree._Element]:
    """Flow nodes directly inside ``container`` (a process or subprocess)."""
    return [el for el in container if isinstance(el.tag, str) and _local(el) in FLOW_NODE_TAGS]


def _all_flow_nodes(container: etree._Element) -> list[etree._Element]:
    found = []
    for node in _flow_nodes(container):
        found.append(node)
        if _local(node) in ("subProcess", "transaction"):
            found.extend(_all_flow_nodes(node))
    return found


def _shapes(plane: etree._Element) -> dict[str, list[etree._Element]]:
    by_ref: dict[str, list[etree._Element]] = {}
    for shape in plane.findall("bpmndi:BPMNShape", NS):
        by_ref.setdefault(shape.get("bpmnElement"), []).append(shape)
    return by_ref


def _edges(plane: etree._Element) -> dict[str, list[etree._Element]]:
    by_ref: dict[str, list[etree._Element]] = {}
    for edge in plane.findall("bpmndi:BPMNEdge", NS):
        by_ref.setdefault(edge.get("bpmnElement"), []).append(edge)
    return by_ref


def _bounds(plane: etree._Element, element_id: str) -> Box:
    [shape] = _shapes(plane)[element_id]
    b = shape.find("dc:Bounds", NS)
    assert b is not None, f"shape of {element_id} has no dc:Bounds"
    return (float(b.get("x")), float(b.get("y")), float(b.get("width")), float(b.get("height")))


def _inside(inner: Box, outer: Box) -> bool:
    ix, iy, iw, ih = inner
    ox, oy, ow, oh = outer
    return ox <= ix and oy <= iy and ix + iw <= ox + ow and iy + ih <= oy + oh


def _on_border(point: tuple[float, float], box: Box) -> bool:
    """The point lies on the rectangle's outline, give or take TOLERANCE pixels."""
    px, py = point
    x, y, w, h = box
    within = x - TOLERANCE <= px <= x + w + TOLERANCE and y - TOLERANCE <= py <= y + h + TOLERANCE
    near_edge = min(abs(px - x), abs(px - (x + w)), abs(py - y), abs(py - (y + h))) <= TOLERANCE
    return within and near_edge


def test_every_flow_node_has_exactly_one_shape(process, plane):
    shapes = _shapes(plane)
    nodes = _all_flow_nodes(process)
    assert len(nodes) > 30
    for node in nodes:
        node_id = node.get("id")
        assert len(shapes.get(node_id, [])) == 1, f"{node_id} needs exactly one BPMNShape"
        _bounds(plane, node_id)
    known = {n.get("id") for n in nodes} | {lane.get("id") for lane in process.iter(f"{{{NS['bpmn']}}}lane")}
    known |= {p.get("id") for p in process.getparent().iter(f"{{{NS['bpmn']}}}participant")}
    assert set(shapes) <= known, f"shapes for unknown elements: {set(shapes) - known}"


def test_shape_flags(process, plane):
    shapes = _shapes(plane)
    for node in _all_flow_nodes(process):
        [shape] = shapes[node.get("id")]
        if _local(node) == "exclusiveGateway":
            assert shape.get("isMarkerVisible") == "true", node.get("id")
        if _local(node) == "subProcess":
            assert shape.get("isExpanded") == "true", node.get("id")


def test_every_sequence_flow_has_exactly_one_edge(process, plane):
    edges = _edges(plane)
    flows = list(process.iter(f"{{{NS['bpmn']}}}sequenceFlow"))
    assert len(flows) > 30
    for flow in flows:
        flow_id = flow.get("id")
        assert len(edges.get(flow_id, [])) == 1, f"{flow_id} needs exactly one BPMNEdge"
        [edge] = edges[flow_id]
        assert len(edge.findall("di:waypoint", NS)) >= 2, f"{flow_id} needs at least two waypoints"
    assert set(edges) <= {f.get("id") for f in flows}


def test_plane_shows_the_collaboration(root, plane):
    [collaboration] = root.findall("bpmn:collaboration", NS)
    assert plane.get("bpmnElement") == collaboration.get("id")


def test_lanes_tile_the_participant(root, process, plane):
    [participant] = root.findall("bpmn:collaboration/bpmn:participant", NS)
    shapes = _shapes(plane)
    [pshape] = shapes[participant.get("id")]
    assert pshape.get("isHorizontal") == "true"
    px, py, pw, ph = _bounds(plane, participant.get("id"))
    lanes = process.findall("bpmn:laneSet/bpmn:lane", NS)
    assert [lane.get("id") for lane in lanes] == ["officer", "leader", "supervision"]
    y = py
    for lane in lanes:
        lane_id = lane.get("id")
        [lshape] = shapes[lane_id]
        assert lshape.get("isHorizontal") == "true", lane_id
        box = _bounds(plane, lane_id)
        assert _inside(box, (px, py, pw, ph)), f"lane {lane_id} sticks out of the participant"
        lx, ly, lw, lh = box
        assert lx == px + 30 and lw == pw - 30, f"lane {lane_id} must span the participant minus its label"
        assert ly == y, f"lane {lane_id} must start where the previous lane ends"
        y = ly + lh
    assert y == py + ph, "lanes must fill the participant"


def test_top_level_nodes_lie_in_their_lane(process, plane):
    lane_of = {
        ref.text.strip(): lane.get("id")
        for lane in process.findall("bpmn:laneSet/bpmn:lane", NS)
        for ref in lane.findall("bpmn:flowNodeRef", NS)
    }
    for node in _flow_nodes(process):
        node_id = node.get("id")
        assert node_id in lane_of, f"{node_id} is in no lane"
        lane_id = lane_of[node_id]
        assert _inside(_bounds(plane, node_id), _bounds(plane, lane_id)), (
            f"{node_id} is outside lane {lane_id}"
        )


def test_subprocess_children_lie_inside_the_subprocess(process, plane):
    subprocesses = [n for n in _all_flow_nodes(process) if _local(n) == "subProcess"]
    assert {s.get("id") for s in subprocesses} == {
        "SubProcess_measures", "SubProcess_measure_work", "SubProcess_long_term"}
    for sub in subprocesses:
        outer = _bounds(plane, sub.get("id"))
        children = _flow_nodes(sub)
        assert children, sub.get("id")
        for child in children:
            assert _inside(_bounds(plane, child.get("id")), outer), (
                f"{child.get('id')} lies outside {sub.get('id')}"
            )


def test_boundary_events_sit_on_their_host(process, plane):
    for event in process.iter(f"{{{NS['bpmn']}}}boundaryEvent"):
        x, y, w, h = _bounds(plane, event.get("id"))
        hx, hy, hw, hh = _bounds(plane, event.get("attachedToRef"))
        centre = (x + w / 2, y + h / 2)
        assert _on_border(centre, (hx, hy, hw, hh)), f"{event.get('id')} is not on its host's border"


def test_edges_start_at_source_and_end_at_target(process, plane):
    edges = _edges(plane)
    for flow in process.iter(f"{{{NS['bpmn']}}}sequenceFlow"):
        flow_id = flow.get("id")
        [edge] = edges[flow_id]
        points = [(float(p.get("x")), float(p.get("y"))) for p in edge.findall("di:waypoint", NS)]
        source, target = flow.get("sourceRef"), flow.get("targetRef")
        assert _on_border(points[0], _bounds(plane, source)), f"{flow_id} does not start on {source}"
        assert _on_border(points[-1], _bounds(plane, target)), f"{flow_id} does not end on {target}"


def test_edges_are_orthogonal(plane):
    for edge in plane.findall("bpmndi:BPMNEdge", NS):
        points = [(float(p.get("x")), float(p.get("y"))) for p in edge.findall("di:waypoint", NS)]
        for (x0, y0), (x1, y1) in zip(points, points[1:], strict=False):
            assert x0 == x1 or y0 == y1, f"{edge.get('bpmnElement')} has a diagonal segment"


def test_spiffworkflow_still_parses_the_file():
    from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser

    parser = SpiffBpmnParser()
    parser.add_bpmn_file(str(BPMN_FILE))
    spec = parser.get_spec("rectification")
    assert spec.name == "rectification"
    assert "Task_verify" in spec.task_specs
