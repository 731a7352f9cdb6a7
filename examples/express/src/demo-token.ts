/** The one token `GET /api/me` accepts: a demo, not an authentication scheme. Its own module so the demo client imports no server. */
export const DEMO_AUTHORIZATION = 'Bearer demo-token'
