// Hive Gateway's config for the Mesh peer (serve.sh passes it with --config-path). It exists so
// that the gateway does not fall back to importing mesh.config.ts (and the whole composer) at
// start-up, and to say plainly what is left at its defaults: no `reporting` (Hive / GraphOS
// usage reporting), no `openTelemetry`, no persisted documents, no CDN, no uplink. The only
// outbound calls are the json-schema sources' calls to the simulators.
export const gatewayConfig = {};
