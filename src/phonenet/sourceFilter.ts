/** The carrier's source ranges use the shared CIDR filter (the platform's own SIP door does too). */
export { isLoopbackAddress, LOOPBACK_SOURCES, SourceFilterError, sourceFilter } from '../net/sourceFilter.js';
