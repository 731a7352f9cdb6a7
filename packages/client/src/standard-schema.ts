// Core owns the Standard Schema interface: the server validates request bodies
// with the same types the client validates responses with.
export type { InferOutput, StandardIssue, StandardResult, StandardSchemaV1 } from '@sealwire/core'
