import { setFlagsFromString } from 'node:v8'

// V8's own view of an object's layout: a dictionary-mode object (after a
// reconfigured or deleted member) makes every later property read slower.
setFlagsFromString('--allow-natives-syntax')

/** Whether V8 keeps `o` in its fast (hidden-class) layout. */
export const hasFastProperties = new Function('o', 'return %HasFastProperties(o)') as (o: object) => boolean
