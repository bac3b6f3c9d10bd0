/**
 * smartcall's SIP stack (RFC 3261 over UDP, TCP and TLS, digest auth, RFC 4028 session timers, SDP
 * offer/answer for G.711). Other folders import from here.
 */
export type { CallFailure, CallFailureCode, EndedBy } from './callFailure.js';
export type { DigestCredentials } from './digestAuth.js';
export { IncomingInvite, type IncomingInviteEvents, type IncomingInviteState } from './incomingInvite.js';
export { type ParseLimits, type ParseOutcome, parseSipMessage, type SipParseError } from './messageParser.js';
export { serializeMessage } from './messageSerializer.js';
export { OptionsPinger, type OptionsPingerOptions, type TrunkState } from './optionsPinger.js';
export {
  type InviteOptions,
  OutgoingInvite,
  type OutgoingInviteEvents,
  type OutgoingInviteState,
} from './outgoingInvite.js';
export {
  Registration,
  type RegistrationOptions,
  type RegistrationState,
  type RegistrationStatus,
} from './registration.js';
export {
  buildAnswer,
  buildOffer,
  type CodecName,
  describeSdp,
  type LocalMedia,
  type LocalSrtp,
  type MediaDescriptionSummary,
  type MediaDirection,
  parseAnswer,
  readLocalSrtp,
  SDES_SUITES,
  type SdesCrypto,
  type SdesSuite,
} from './sdp.js';
export {
  type LocatedHop,
  type LocateResult,
  locateSipServers,
  type SipDns,
  type SipNaptr,
  type SipSrv,
} from './serverLocator.js';
export { type SipMessage, SipRequest, SipResponse } from './sipMessage.js';
export { isSipUri, isValidHost, parseUri, SipUri, uriHost } from './sipUri.js';
export {
  type InviteGate,
  type OptionsResult,
  type SipStats,
  SipUserAgent,
  type SipUserAgentOptions,
} from './sipUserAgent.js';
export type { SipTimerConfig } from './timers.js';
export type { TlsServerSettings, TlsSettings } from './tlsTransport.js';
export type {
  Endpoint,
  TlsClientProfile,
  TransportCounters,
  TransportLimits,
  TransportProtocol,
} from './transport.js';
