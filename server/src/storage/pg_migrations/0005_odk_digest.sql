-- ODK Collect's Digest sign-in over plain HTTP (`baraza serve --odk-digest`, off by default):
-- each enumerator's MD5(username:Baraza:password), written with the password while the option
-- is on and cleared when a server starts without it. It signs in at this server as the
-- password does, and an MD5 is cheap to guess at, hence off unless a deployment needs it.
ALTER TABLE users ADD COLUMN digest_ha1 TEXT;
