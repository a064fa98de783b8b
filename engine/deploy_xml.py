"""Reading a diagram's XML safely, and naming its elements in one-line messages.

Deploy parses the file once, here, with a hardened parser (no network, no entity
expansion, no DTD, libxml2's default size and depth limits) and hands the parsed tree
to SpiffWorkflow, which would otherwise parse the raw bytes again with lxml's defaults.
"""

from __future__ import annotations

import re

from lxml import etree

from .errors import DeployError, DeployProblem

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
SPIFF_NS = "http://spiffworkflow.org/bpmn/schema/1.0/core"
NAMESPACES = {"bpmn": BPMN_NS, "spiffworkflow": SPIFF_NS}

_MESSAGE_TEXT_LIMIT = 60
_NAME_LIMIT = 100
_UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")


def bpmn(tag: str) -> str:
    """The qualified name of a BPMN model element, e.g. ``{…/MODEL}userTask``."""
    return f"{{{BPMN_NS}}}{tag}"


def spiff(tag: str) -> str:
    """The qualified name of a SpiffWorkflow extension element."""
    return f"{{{SPIFF_NS}}}{tag}"


def load_bpmn_xml(content: bytes, source_name: str) -> etree._Element:
    """Parse a diagram with a hardened parser; refuse DTDs, entities and non-BPMN documents.

    Returns the root ``bpmn:definitions`` element. Every refusal is a one-line
    :class:`DeployError` starting with ``source_name``.
    """
    try:
        content.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise file_error(source_name, f"the file is not UTF-8 text (byte {exc.start})",
                         "save or export the diagram as UTF-8") from None
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, huge_tree=False, load_dtd=False, dtd_validation=False
    )
    try:
        root = etree.fromstring(content, parser)
    except etree.XMLSyntaxError as exc:
        # libxml2 suggests a parser option to the programmer; the user needs the fact only.
        message = clip((exc.msg or "syntax error").replace(", use XML_PARSE_HUGE option", ""), 160)
        where = "" if "line" in message else f" (line {exc.lineno})"
        raise file_error(source_name, f"not well-formed XML: {message}{where}",
                         "export the diagram again from the modeler as BPMN 2.0 XML", exc.lineno) from None
    docinfo = root.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None or docinfo.externalDTD is not None:
        # Entity declarations (billion laughs, external entities) live in the DTD; BPMN never needs one.
        raise file_error(source_name, "a DOCTYPE declaration is not allowed in a diagram", "remove it")
    if (docinfo.encoding or "UTF-8").upper().replace("-", "") != "UTF8":
        raise file_error(source_name, 'the XML declaration must say encoding="UTF-8"',
                         "save or export the diagram as UTF-8")
    if root.tag != bpmn("definitions"):
        raise file_error(source_name, f"not a BPMN 2.0 diagram: the root element must be <definitions> "
                         f"in the namespace {BPMN_NS}", "export the diagram from the modeler as BPMN 2.0 XML",
                         root.sourceline)
    return root


def file_error(source_name: str, what: str, hint: str, line: int | None = None) -> DeployError:
    """A refusal of the whole file (no element to name), with what to do instead."""
    message = f"{source_name}: {what}; {hint}"
    return DeployError(message, [DeployProblem(message, line=line, file=source_name, hint=hint)])


def clip(text: str, limit: int = _MESSAGE_TEXT_LIMIT) -> str:
    """``text`` on one short line: control characters and line breaks become spaces, long text is cut.

    A cut falls between words when the text has spaces, so a name never ends mid-word.
    """
    flat = " ".join(_UNPRINTABLE.sub(" ", text).split())
    if len(flat) <= limit:
        return flat
    cut = flat[: limit - 1]
    if flat[limit - 1] != " " and " " in cut:
        cut = cut.rsplit(" ", 1)[0]
    return cut.rstrip() + "…"


def local_name(element: etree._Element) -> str:
    """The element's tag without its namespace (``userTask``)."""
    return etree.QName(element).localname if isinstance(element.tag, str) else "node"


def owner(element: etree._Element) -> etree._Element:
    """The nearest element (itself included) that has an id: the one a message should name.

    An event definition is part of its event, which the modeler shows and names: the event it is.
    """
    node: etree._Element | None = element
    while node is not None:
        if node.get("id") and not local_name(node).endswith("EventDefinition"):
            return node
        node = node.getparent()
    return element


def describe(element: etree._Element) -> str:
    """Name an element for a message: ``'Task_x' (userTask "Verify", line 12)``."""
    element_id = element.get("id")
    name = element.get("name")
    details = local_name(element)
    if name and name.strip():
        details += f' "{clip(name, _NAME_LIMIT)}"'
    if element.sourceline:
        details += f", line {element.sourceline}"
    return f"'{clip(element_id)}' ({details})" if element_id else f"<{details}>"


def element_name(element: etree._Element) -> str | None:
    """The element's name on one line (line breaks a modeler keeps become spaces), or None."""
    name = element.get("name")
    return clip(name, _NAME_LIMIT) if name and name.strip() else None


def refusal(source_name: str, element: etree._Element | None, what: str, hint: str) -> DeployProblem:
    """A refusal about ``element`` (None: the whole file) saying what is wrong and what to do instead."""
    if element is None:
        return DeployProblem(f"{source_name}: {what}; {hint}", file=source_name, hint=hint)
    return element_problem(element, f"{source_name}: element {describe(element)}: {what}", source_name, hint)


def element_problem(element: etree._Element, message: str, source_name: str | None = None,
                    hint: str | None = None) -> DeployProblem:
    """A refusal about ``element`` worded by the caller; the hint ends the message."""
    if hint and not message.endswith(hint):
        message = f"{message}; {hint}"
    return DeployProblem(message, element_id=element.get("id"), element_type=local_name(element),
                         name=element_name(element), line=element.sourceline, file=source_name, hint=hint)
