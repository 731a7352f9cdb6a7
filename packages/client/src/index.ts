/**
 * @sealwire/client — a `fetch`-shaped client that seals API requests as JWE
 * and verifies and opens the responses; key discovery and rotation, clock-skew
 * correction, and a pure-JS fallback for runtimes whose WebCrypto lacks a
 * curve. No Node built-ins: browsers, Node, workers, React Native.
 */
export { createClient } from './create-client.js'
export type { JsonGet, JsonSend, SealwireClient } from './create-client.js'
export type { ClientOptions } from './client-options.js'
export type { JsonRequestOptions } from './json-request.js'
export type { SealedRequestInit } from './exchange/sealed-fetch.js'
export type { SealedEvent } from './events/parse-event-stream.js'
export type { SealedEventsInit } from './events/sealed-events.js'
export { SealwireHttpError, SealwireSchemaError } from './errors.js'
export type { ProblemDocument, SchemaIssue } from './errors.js'
export type { InferOutput, StandardSchemaV1 } from './standard-schema.js'
export type { CryptoChoice } from './crypto/crypto-plan.js'
// The protocol's error, so that callers need one import to branch on codes.
export { SealwireError, isSealwireError } from '@sealwire/core'
export type { SealwireErrorCode } from '@sealwire/core'
