/**
 * The HTTP side of GlobalPlatform Card Specification v2.2 Amendment B, "Remote Application
 * Management over HTTP" (GPC_SPE_011; RAM over HTTP, "SCP81" in ETSI terms): names and media
 * types both ends use. The admin agent on the device is the HTTP client; it POSTs the card's
 * responses and receives the next command script in the answer. docs/ota.md has the exchange.
 */

/** Value of X-Admin-Protocol on every request and answer (Amendment B §3.4). */
export const ADMIN_PROTOCOL = 'globalplatform-remote-admin/1.0';

/** Header names, lower case as Node's HTTP stack reports them. */
export const AdminHeader = {
  /** The protocol and its version: ADMIN_PROTOCOL. */
  protocol: 'x-admin-protocol',
  /** Identifies the agent to the administration server; Tessera puts the card's CIN (hex) here. */
  from: 'x-admin-from',
  /** Where the agent POSTs next (with the responses to the script in this answer). */
  nextURI: 'x-admin-next-uri',
  /** The agent's verdict on the script it ran: see AdminScriptStatus. */
  scriptStatus: 'x-admin-script-status',
  /** Set by the agent when it repeats a POST after a broken connection. */
  resume: 'x-admin-resume',
} as const;

/** Values of X-Admin-Script-Status (Amendment B §3.4.1). Tessera's agent sends `ok` with every response script. */
export const AdminScriptStatus = {
  ok: 'ok',
  unknownApplication: 'unknown-application',
  notASecurityDomain: 'not-a-security-domain',
  securityError: 'security-error',
} as const;

/**
 * Media types registered with IANA by GlobalPlatform for Amendment B (2009). The `version`
 * parameter is required; Tessera speaks version 1.0.
 */
export const ADMIN_COMMAND_MEDIA_TYPE = 'application/vnd.globalplatform.card-content-mgt';
export const ADMIN_RESPONSE_MEDIA_TYPE = 'application/vnd.globalplatform.card-content-mgt-response';
export const ADMIN_MEDIA_TYPE_VERSION = '1.0';
/** Content-Type of a command script (the administration server's answer). */
export const ADMIN_COMMAND_CONTENT_TYPE = `${ADMIN_COMMAND_MEDIA_TYPE};version=${ADMIN_MEDIA_TYPE_VERSION}`;
/** Content-Type of a response script (the agent's request body). */
export const ADMIN_RESPONSE_CONTENT_TYPE = `${ADMIN_RESPONSE_MEDIA_TYPE};version=${ADMIN_MEDIA_TYPE_VERSION}`;

/** Where Tessera's TSM serves the admin protocol, relative to its base URL. A Tessera choice, not Amendment B's. */
export const ADMIN_ROUTE_PATH = '/ota/v1/admin';

/** An agent id as Tessera uses it: the card's CIN in hex, 1 to 32 bytes. */
export const ADMIN_AGENT_ID_PATTERN = '^(?:[0-9A-Fa-f]{2}){1,32}$';
