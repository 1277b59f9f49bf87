// Strings of this device's security: recovery set-up, confirming a new device, verification.

export const securityEn = {
} as const;

export const securityFr: Record<keyof typeof securityEn, string> = {
};
