-- Push tokens: where the platform push service (FCM, APNs) reaches the app instance behind an
-- account. Set by the app with RegisterPushToken on a CONNECT session; cleared when the push
-- service answers that the token is no longer valid. Same text for SQLite and PostgreSQL.

ALTER TABLE accounts ADD COLUMN push_platform TEXT;    -- 'fcm' or 'apns'; NULL: no token
ALTER TABLE accounts ADD COLUMN push_token TEXT;       -- the platform's device token
