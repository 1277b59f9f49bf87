// Strings of the security settings: devices, key files, identity reset, message shields and
// identity warnings in conversations, and the sign-out warning.

export const devicesEn = {
} as const;

export const devicesFr: Record<keyof typeof devicesEn, string> = {
};
