-- Biometric unlock: the PIN, sealed by the keystore, used only after the platform's biometric
-- check. NULL: biometrics not enabled. Cleared whenever the PIN secret changes.
ALTER TABLE device ADD COLUMN biometric_pin_sealed BLOB;
