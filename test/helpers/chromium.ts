/**
 * Flags for Debian's Chromium as root in a sandbox with no network: without the
 * background-networking ones it keeps dialling hosts this machine cannot reach.
 * A module of its own so that the bench bundle takes them without the bundle builder.
 */
export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync']

/** Where the tests and the bench find Chromium. */
export const CHROMIUM_PATH = '/usr/bin/chromium'
