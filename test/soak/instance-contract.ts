/** The API key the soak's fault injector sends; its instances leave it unguarded (see instance.ts). */
export const NOISE_KEY = 'soak-fault-injector'
