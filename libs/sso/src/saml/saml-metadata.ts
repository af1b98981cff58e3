import { X509Certificate } from 'node:crypto';
import {
  SAML_NAMESPACES,
  attributeValue,
  childElement,
  childElements,
  elementText,
  isElement,
  parseXml,
} from './saml-xml';

const BINDINGS = {
  redirect: 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect',
  post: 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST',
} as const;

/** Identity-provider metadata cannot be used; the message tells an administrator why. */
export class SamlMetadataError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SamlMetadataError';
  }
}

/** What a SAML connection needs from an identity provider's metadata. */
export interface IdpMetadata {
  idpEntityId: string;
  ssoUrl: string;
  /** PEM, every signing certificate listed: two during a rollover. */
  idpCertificates: string[];
  nameIdFormat: string | null;
}

/**
 * Reads an identity provider's metadata: its entity id, single sign-on URL (HTTP-Redirect
 * preferred, else HTTP-POST), signing certificates as PEM and first NameID format.
 *
 * @throws SamlMetadataError when the XML is invalid or lacks any of the required parts.
 */
export function parseIdpMetadata(xml: string): IdpMetadata {
  if (typeof xml !== 'string' || xml.trim() === '') {
    throw new SamlMetadataError('The metadata is empty.');
  }
  const document = parseXml(xml);
  if (!document) {
    throw new SamlMetadataError('The metadata is not well-formed XML without a DTD.');
  }

  const entity = findIdpEntity(document.documentElement);
  if (!entity) {
    throw new SamlMetadataError('The metadata describes no identity provider (IDPSSODescriptor).');
  }
  const idpEntityId = attributeValue(entity, 'entityID')?.trim();
  if (!idpEntityId) throw new SamlMetadataError('The identity provider has no entityID.');
  const descriptor = childElement(entity, SAML_NAMESPACES.metadata, 'IDPSSODescriptor')!;

  const ssoUrl = singleSignOnUrl(descriptor);
  if (!ssoUrl) {
    throw new SamlMetadataError(
      'The identity provider has no SingleSignOnService with the HTTP-Redirect or HTTP-POST binding.',
    );
  }
  const idpCertificates = signingCertificates(descriptor);
  if (idpCertificates.length === 0) {
    throw new SamlMetadataError('The identity provider lists no signing certificate.');
  }
  const formats = childElements(descriptor, SAML_NAMESPACES.metadata, 'NameIDFormat');
  const nameIdFormat = formats.length > 0 ? elementText(formats[0]).trim() || null : null;

  return { idpEntityId, ssoUrl, idpCertificates, nameIdFormat };
}

/** The root EntityDescriptor, or the one inside an EntitiesDescriptor, that is an IdP. */
function findIdpEntity(root: Element): Element | null {
  const isIdp = (entity: Element) =>
    childElement(entity, SAML_NAMESPACES.metadata, 'IDPSSODescriptor') !== null;

  if (isElement(root, SAML_NAMESPACES.metadata, 'EntityDescriptor')) {
    return isIdp(root) ? root : null;
  }
  if (isElement(root, SAML_NAMESPACES.metadata, 'EntitiesDescriptor')) {
    const idps = childElements(root, SAML_NAMESPACES.metadata, 'EntityDescriptor').filter(isIdp);
    // A federation's aggregate lists many: choosing one silently could trust the wrong IdP.
    if (idps.length > 1) {
      throw new SamlMetadataError(
        `The metadata describes ${idps.length} identity providers; import the EntityDescriptor of one`,
      );
    }
    return idps[0] ?? null;
  }

  return null;
}

function singleSignOnUrl(descriptor: Element): string | null {
  const services = childElements(descriptor, SAML_NAMESPACES.metadata, 'SingleSignOnService');
  const locationFor = (binding: string) => {
    const service = services.find((candidate) => attributeValue(candidate, 'Binding') === binding);
    return service ? attributeValue(service, 'Location')?.trim() || null : null;
  };

  const url = locationFor(BINDINGS.redirect) ?? locationFor(BINDINGS.post);
  if (url === null) return null;
  if (!/^https?:\/\//i.test(url)) {
    throw new SamlMetadataError('The single sign-on URL is not an http(s) URL.');
  }

  return url;
}

/** Certificates of KeyDescriptors for signing (a KeyDescriptor without `use` serves both). */
function signingCertificates(descriptor: Element): string[] {
  const pems = new Set<string>();
  for (const key of childElements(descriptor, SAML_NAMESPACES.metadata, 'KeyDescriptor')) {
    const use = attributeValue(key, 'use');
    if (use !== null && use !== 'signing') continue;

    const keyInfo = childElement(key, SAML_NAMESPACES.signature, 'KeyInfo');
    const data = keyInfo ? childElements(keyInfo, SAML_NAMESPACES.signature, 'X509Data') : [];
    for (const x509Data of data) {
      for (const certificate of childElements(
        x509Data,
        SAML_NAMESPACES.signature,
        'X509Certificate',
      )) {
        pems.add(toPem(elementText(certificate)));
      }
    }
  }

  return [...pems];
}

function toPem(base64Text: string): string {
  const body = base64Text.replace(/\s+/g, '');
  const pem = `-----BEGIN CERTIFICATE-----\n${body.match(/.{1,64}/g)?.join('\n') ?? ''}\n-----END CERTIFICATE-----\n`;
  try {
    new X509Certificate(pem);
  } catch {
    throw new SamlMetadataError('A signing certificate in the metadata cannot be read.');
  }

  return pem;
}
