import { ERROR_TABLE, problemType, type PayloadIssue, type SealwireError, type SealwireErrorCode } from './errors.js'

/** The RFC 9457 problem details object Sealwire answers with (`application/problem+json`). */
export interface Problem {
  type: string
  title: string
  status: number
  /** Stable code, the member clients branch on (RFC 9457 §3.2 extension member). */
  code: SealwireErrorCode
  detail?: string
  issues?: PayloadIssue[]
}

export const PROBLEM_MEDIA_TYPE = 'application/problem+json'

/**
 * Renders an error as a problem object. Only the code, the public message and
 * payload issue paths/messages are taken: never `cause`, never a stack.
 */
export function toProblem(error: Pick<SealwireError, 'code' | 'message' | 'issues'>): Problem {
  const info = ERROR_TABLE[error.code]
  const problem: Problem = { type: problemType(error.code), title: info.title, status: info.status, code: error.code }
  if (error.message !== info.title) problem.detail = error.message
  if (error.issues !== undefined) problem.issues = error.issues.map((i) => ({ path: [...i.path], message: i.message }))
  return problem
}

/** `toProblem` serialized, ready for a response body. */
export function renderProblem(error: Pick<SealwireError, 'code' | 'message' | 'issues'>): string {
  return JSON.stringify(toProblem(error))
}
