-- An Immich-shaped database for the dump benchmark: assets with exif, faces, people, albums and
-- CLIP embeddings (real[] of 512, standing in for pgvector's vector(512)), with realistic value
-- mixes. :assets is the number of assets; everything else scales with it. With -v embeddings=off,
-- smart_search stays empty: the "mid-sized tables" shape, no table holding most of the data.
CREATE EXTENSION IF NOT EXISTS "uuid-ossp";
CREATE TABLE "user" (id uuid PRIMARY KEY DEFAULT uuid_generate_v4(), email varchar NOT NULL UNIQUE, name varchar NOT NULL,
  "createdAt" timestamptz NOT NULL DEFAULT now(), "quotaSizeInBytes" bigint, "storageLabel" varchar);
INSERT INTO "user" (email, name, "storageLabel") SELECT 'user' || g || '@example.com', 'User ' || g, 'user' || g FROM generate_series(1, 8) g;
CREATE TABLE asset (
  id uuid PRIMARY KEY, "ownerId" uuid NOT NULL REFERENCES "user"(id), "deviceAssetId" varchar NOT NULL, "deviceId" varchar NOT NULL,
  type varchar NOT NULL, "originalPath" varchar NOT NULL, "fileCreatedAt" timestamptz NOT NULL, "fileModifiedAt" timestamptz NOT NULL,
  "isFavorite" boolean NOT NULL DEFAULT false, duration varchar, "encodedVideoPath" varchar DEFAULT '', checksum bytea NOT NULL,
  "livePhotoVideoId" uuid, "updatedAt" timestamptz NOT NULL DEFAULT now(), "createdAt" timestamptz NOT NULL DEFAULT now(),
  "originalFileName" varchar NOT NULL, thumbhash bytea, "localDateTime" timestamptz NOT NULL, "deletedAt" timestamptz,
  visibility varchar NOT NULL DEFAULT 'timeline', status varchar NOT NULL DEFAULT 'active', "updateId" uuid NOT NULL DEFAULT uuid_generate_v4());
INSERT INTO asset (id, "ownerId", "deviceAssetId", "deviceId", type, "originalPath", "fileCreatedAt", "fileModifiedAt", "isFavorite",
                   duration, checksum, "originalFileName", thumbhash, "localDateTime", "deletedAt", visibility)
SELECT uuid_generate_v4(), u.id, 'IMG_' || g || '-' || (g * 7919 % 100000), 'iPhone-' || (g % 3),
       CASE WHEN g % 10 = 0 THEN 'VIDEO' ELSE 'IMAGE' END,
       '/data/library/' || u."storageLabel" || '/' || (2015 + g % 10) || '/' || lpad(((g % 12) + 1)::text, 2, '0') || '/IMG_' || g || CASE WHEN g % 10 = 0 THEN '.mov' ELSE '.jpg' END,
       t, t + interval '1 minute', g % 17 = 0, CASE WHEN g % 10 = 0 THEN '00:00:' || lpad((g % 60)::text, 2, '0') || '.000000' END,
       decode(md5(g::text) || substr(md5((g + 1)::text), 1, 8), 'hex'), 'IMG_' || g || CASE WHEN g % 10 = 0 THEN '.mov' ELSE '.jpg' END,
       decode(substr(md5((g * 3)::text) || md5((g * 5)::text), 1, 50), 'hex'), t, CASE WHEN g % 50 = 0 THEN t + interval '30 days' END,
       CASE WHEN g % 40 = 0 THEN 'archive' ELSE 'timeline' END
  FROM generate_series(1::bigint, :assets) g
  CROSS JOIN LATERAL (SELECT timestamptz '2015-01-01' + (g * interval '17 minutes') AS t) times
  JOIN (SELECT id, "storageLabel", row_number() OVER (ORDER BY email) - 1 AS n FROM "user") u ON u.n = g % 8;
CREATE TABLE asset_exif (
  "assetId" uuid PRIMARY KEY REFERENCES asset(id) ON DELETE CASCADE, make varchar, model varchar, "exifImageWidth" integer,
  "exifImageHeight" integer, "fileSizeInByte" bigint, orientation varchar, "dateTimeOriginal" timestamptz, "modifyDate" timestamptz,
  "lensModel" varchar, "fNumber" double precision, "focalLength" double precision, iso integer, "exposureTime" varchar,
  latitude double precision, longitude double precision, city varchar, state varchar, country varchar, description text NOT NULL DEFAULT '',
  "timeZone" varchar, "projectionType" varchar, "profileDescription" varchar, colorspace varchar, "bitsPerSample" integer, tags varchar[]);
INSERT INTO asset_exif SELECT a.id, (ARRAY['Apple', 'Canon', 'SONY', 'FUJIFILM', 'Google'])[1 + n % 5], 'Model ' || (n % 23),
       4032, 3024, 1500000 + (n * 7919) % 9000000, '1', a."fileCreatedAt", a."fileModifiedAt",
       'Lens ' || (n % 11) || ' 24-70mm f/2.8', 1.8 + (n % 9) * 0.7, 4.2 + (n % 30), 50 * (1 + n % 64), '1/' || (30 + n % 2000),
       CASE WHEN n % 4 <> 0 THEN 48.85 + (n % 1000) / 1000.0 END, CASE WHEN n % 4 <> 0 THEN 2.35 + (n % 997) / 997.0 END,
       CASE WHEN n % 4 <> 0 THEN (ARRAY['Paris', 'Lyon', 'Berlin', 'Zürich', 'Kyōto'])[1 + n % 5] END, 'Region ' || (n % 40),
       'Country ' || (n % 12), CASE WHEN n % 9 = 0 THEN 'A day at the beach with the family' ELSE '' END, 'Europe/Paris', NULL, 'sRGB IEC61966-2.1',
       'sRGB', 8, CASE WHEN n % 7 = 0 THEN ARRAY['holiday', 'family'] END
  FROM (SELECT id, "fileCreatedAt", "fileModifiedAt", row_number() OVER () AS n FROM asset) a;
CREATE TABLE person (id uuid PRIMARY KEY DEFAULT uuid_generate_v4(), "ownerId" uuid NOT NULL REFERENCES "user"(id), name varchar NOT NULL DEFAULT '',
  "thumbnailPath" varchar NOT NULL DEFAULT '', "isHidden" boolean NOT NULL DEFAULT false, "birthDate" date, "faceAssetId" uuid);
INSERT INTO person ("ownerId", name, "thumbnailPath")
SELECT u.id, CASE WHEN g % 3 = 0 THEN 'Person ' || g ELSE '' END, '/data/thumbs/' || u.id || '/person-' || g || '.jpeg'
  FROM generate_series(1, greatest(:assets / 100, 10)) g JOIN (SELECT id, row_number() OVER (ORDER BY email) - 1 AS n FROM "user") u ON u.n = g % 8;
CREATE TABLE asset_face (id uuid PRIMARY KEY DEFAULT uuid_generate_v4(), "assetId" uuid NOT NULL REFERENCES asset(id) ON DELETE CASCADE,
  "personId" uuid REFERENCES person(id) ON DELETE SET NULL, "imageWidth" integer NOT NULL, "imageHeight" integer NOT NULL,
  "boundingBoxX1" integer NOT NULL, "boundingBoxY1" integer NOT NULL, "boundingBoxX2" integer NOT NULL, "boundingBoxY2" integer NOT NULL,
  "sourceType" varchar NOT NULL DEFAULT 'machine-learning');
INSERT INTO asset_face ("assetId", "personId", "imageWidth", "imageHeight", "boundingBoxX1", "boundingBoxY1", "boundingBoxX2", "boundingBoxY2")
SELECT a.id, p.id, 4032, 3024, n % 3000, n % 2000, n % 3000 + 200, n % 2000 + 200
  FROM (SELECT id, row_number() OVER () AS n FROM asset) a
  JOIN (SELECT id, row_number() OVER () - 1 AS k, count(*) OVER () AS total FROM person) p ON p.k = a.n % p.total
 WHERE a.n % 3 = 0;
CREATE TABLE smart_search ("assetId" uuid PRIMARY KEY REFERENCES asset(id) ON DELETE CASCADE, embedding real[] NOT NULL);
ALTER TABLE smart_search ALTER COLUMN embedding SET STORAGE EXTERNAL;
-- 512 floats per asset, like CLIP ViT-B-32: the bulk of a real Immich dump.
\if :embeddings
INSERT INTO smart_search SELECT id, (SELECT array_agg((random() * 2 - 1)::real) FROM generate_series(1, 512) WHERE a.id IS NOT NULL) FROM asset a;
\endif
CREATE TABLE album (id uuid PRIMARY KEY DEFAULT uuid_generate_v4(), "ownerId" uuid NOT NULL REFERENCES "user"(id), "albumName" varchar NOT NULL,
  "createdAt" timestamptz NOT NULL DEFAULT now(), "albumThumbnailAssetId" uuid, description text NOT NULL DEFAULT '', "order" varchar NOT NULL DEFAULT 'desc');
INSERT INTO album ("ownerId", "albumName") SELECT u.id, 'Album ' || g FROM generate_series(1, greatest(:assets / 500, 5)) g
  JOIN (SELECT id, row_number() OVER (ORDER BY email) - 1 AS n FROM "user") u ON u.n = g % 8;
CREATE TABLE album_asset ("albumId" uuid NOT NULL REFERENCES album(id) ON DELETE CASCADE, "assetId" uuid NOT NULL REFERENCES asset(id) ON DELETE CASCADE,
  "createdAt" timestamptz NOT NULL DEFAULT now(), PRIMARY KEY ("albumId", "assetId"));
INSERT INTO album_asset ("albumId", "assetId")
SELECT al.id, a.id FROM (SELECT id, row_number() OVER () AS n FROM asset) a
  JOIN (SELECT id, row_number() OVER () - 1 AS k, count(*) OVER () AS total FROM album) al ON al.k = a.n % al.total WHERE a.n % 4 = 0;
CREATE INDEX asset_owner_idx ON asset ("ownerId");
CREATE INDEX asset_face_asset_idx ON asset_face ("assetId");
VACUUM ANALYZE;
