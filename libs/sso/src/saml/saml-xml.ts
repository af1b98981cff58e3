import { DOMParser } from '@xmldom/xmldom';

/** Namespaces of the SAML 2.0 documents this library reads. */
export const SAML_NAMESPACES = {
  protocol: 'urn:oasis:names:tc:SAML:2.0:protocol',
  assertion: 'urn:oasis:names:tc:SAML:2.0:assertion',
  metadata: 'urn:oasis:names:tc:SAML:2.0:metadata',
  signature: 'http://www.w3.org/2000/09/xmldsig#',
} as const;

/**
 * Parses an XML document, or answers null when it is not well formed or declares a DTD. SAML
 * never needs a DTD, so refusing any closes entity expansion and external entity tricks
 * whatever the parsers behind us (xmldom here, xml2js inside node-saml) would do with them.
 */
export function parseXml(xml: string): Document | null {
  if (/<!DOCTYPE/i.test(xml) || /<!ENTITY/i.test(xml)) return null;

  let failed = false;
  const fail = () => {
    failed = true;
  };
  let document: Document;
  try {
    document = new DOMParser({ errorHandler: { error: fail, fatalError: fail } }).parseFromString(
      xml,
      'text/xml',
    );
  } catch {
    return null;
  }
  if (failed || !document?.documentElement || document.doctype) return null;

  return document;
}

/** The element children of `parent` with this namespace and local name. */
export function childElements(parent: Element, namespace: string, localName: string): Element[] {
  const found: Element[] = [];
  for (let node = parent.firstChild; node; node = node.nextSibling) {
    if (node.nodeType !== 1) continue;
    const element = node as Element;
    if (element.namespaceURI === namespace && element.localName === localName) found.push(element);
  }

  return found;
}

/** The first element child with this namespace and local name, or null. */
export function childElement(
  parent: Element,
  namespace: string,
  localName: string,
): Element | null {
  return childElements(parent, namespace, localName)[0] ?? null;
}

/** Whether `element` is this namespace and local name. */
export function isElement(element: Element, namespace: string, localName: string): boolean {
  return element.namespaceURI === namespace && element.localName === localName;
}

/**
 * The text of an element: every text node under it, joined. Comments are left out, which is
 * what canonicalization does too, so a comment inside a NameID cannot cut the signed value.
 */
export function elementText(element: Element): string {
  return element.textContent ?? '';
}

/** An attribute's value, or null when absent (xmldom answers '' for a missing attribute). */
export function attributeValue(element: Element, name: string): string | null {
  return element.hasAttribute(name) ? element.getAttribute(name) : null;
}
