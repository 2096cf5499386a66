// The musicfs.v1 wire contract must stay the predecessor's (spec section (d)), and the committed
// generated code must match the .proto files.
import { describe, expect, test } from "bun:test";
import type { DescMessage } from "@bufbuild/protobuf";
import * as path from "node:path";
import { file_musicfs_v1_musicfs, MetadataService, MusicFS } from "../../proto/gen/musicfs/v1/musicfs_pb.ts";
import { BUN, REPO } from "./helpers.ts";

// name=number for every field, as in the predecessor's musicfs.proto (b8858370).
const FIELDS: Record<string, string> = {
  Empty: "",
  SearchRequest: "query=1 limit=2 offset=3 origin_id=4",
  SearchResponse: "results=1 total_matches=2 query_time_ms=3",
  SearchResult: "file_id=1 virtual_path=2 artist=3 album=4 title=5 score=6 highlights=7",
  StatusResponse: "version=1 uptime_secs=2 mount_point=3 state=4 open_file_handles=5 fuse_ops_total=6 files_indexed=7 cache_size_bytes=8 origins=9",
  OriginStatus: "id=1 origin_type=2 health=3 files_count=4",
  ShutdownRequest: "graceful=1 timeout_secs=2",
  TierStats: "entries=1 size_bytes=2 hits=3 misses=4",
  CacheStats:
    "total_size_bytes=1 used_size_bytes=2 size_limit_bytes=3 chunk_count=4 chunks_unique=5 dedup_ratio=6 hit_count=7 miss_count=8 hit_ratio=9 metadata_entries=10 metadata_bytes=11 l1_metadata=12 l2_headers=13 l3_chunks=14",
  ClearCacheRequest: "origin_id=1 clear_metadata=2 clear_chunks=3",
  ClearCacheResponse: "bytes_cleared=1 chunks_cleared=2",
  PrefetchRequest: "paths=1 origin_id=2",
  PrefetchProgress: "current_path=1 completed=2 total=3 bytes_fetched=4",
  OriginsResponse: "origins=1",
  OriginInfo: "id=1 origin_type=2 display_name=3 root_path=4 health=5 files_count=6 total_size_bytes=7",
  OriginRequest: "origin_id=1 subdir=2",
  OriginHealthResponse: "origin_id=1 status=2 message=3 last_check_secs=4",
  SyncProgress: "phase=1 current=2 total=3 current_path=4 bytes_synced=5 new_files=6",
  SyncedFile: "path=1 file_id=2 virtual_path=3",
  EventFilter: "event_types=1 origin_id=2",
  Event: "event_type=1 timestamp_ms=2 origin_id=3 path=4 file_id=5 metadata=6",
  GetMetadataRequest: "virtual_path=1",
  MetadataResponse:
    "file_id=1 title=2 artist=3 album=4 album_artist=5 year=6 track=7 disc=8 genre=9 format=10 duration_ms=11 bitrate=12 track_total=13 disc_total=14 date=15 composer=16 comment=17 lyrics=18 copyright=19 compilation=20 artist_sort=21 album_artist_sort=22 album_sort=23 title_sort=24 mb_recording_id=25 mb_album_id=26 mb_artist_id=27 mb_album_artist_id=28 mb_release_group_id=29 replaygain_track_gain=30 replaygain_track_peak=31 replaygain_album_gain=32 replaygain_album_peak=33 channels=34 bits_per_sample=35 encoder=36 label=40 album_type=41 cover_url=42 custom_tags=50",
  UpdateMetadataRequest:
    "file_id=1 title=2 artist=3 album=4 album_artist=5 track_number=6 disc_number=7 date=8 genre=9 composer=10 comment=11 lyrics=12 copyright=13 compilation=14 artist_sort=15 album_artist_sort=16 album_sort=17 title_sort=18 mb_recording_id=20 mb_album_id=21 mb_artist_id=22 replaygain_track_gain=30 replaygain_track_peak=31 replaygain_album_gain=32 replaygain_album_peak=33 label=40 album_type=41 cover_url=42 custom_tags=50",
  UpdateMetadataResponse: "file_id=1 success=2 error_message=3",
  ClearOverlayRequest: "file_id=1",
  ClearOverlayResponse: "file_id=1 success=2 error_message=3",
  BatchUpdateRequest: "items=1",
  BatchUpdateItem: "file_id=1 metadata=2",
  BatchUpdateProgress: "completed=1 total=2 current_file_id=3 error_message=4",
  ImportMetadataRequest: "source_path=1 format=2",
  ImportProgress: "imported=1 total=2 current_file=3 error_message=4",
};

const METHODS = {
  MusicFS:
    "Search:unary SearchStream:server_streaming GetStatus:unary Shutdown:unary GetCacheStats:unary ClearCache:unary Prefetch:server_streaming ListOrigins:unary GetOriginHealth:unary RescanOrigin:server_streaming SubscribeEvents:server_streaming",
  MetadataService: "GetMetadata:unary UpdateMetadata:unary ClearOverlay:unary BatchUpdateMetadata:server_streaming ImportMetadata:server_streaming",
};

describe("musicfs.v1 wire contract", () => {
  test("package and services", () => {
    expect(file_musicfs_v1_musicfs.proto.package).toBe("musicfs.v1");
    expect(MusicFS.typeName).toBe("musicfs.v1.MusicFS");
    expect(MetadataService.typeName).toBe("musicfs.v1.MetadataService");
    expect(MusicFS.methods.map((m) => `${m.name}:${m.methodKind}`).join(" ")).toBe(METHODS.MusicFS);
    expect(MetadataService.methods.map((m) => `${m.name}:${m.methodKind}`).join(" ")).toBe(METHODS.MetadataService);
  });

  test("every message, every field name and number", () => {
    const messages = new Map<string, DescMessage>(file_musicfs_v1_musicfs.messages.map((m) => [m.name, m]));
    expect([...messages.keys()].sort()).toEqual(Object.keys(FIELDS).sort());
    for (const [name, spec] of Object.entries(FIELDS)) {
      const got = messages.get(name)!.fields.map((f) => `${f.name}=${f.number}`).join(" ");
      expect(`${name}: ${got}`).toBe(`${name}: ${spec}`);
    }
  });

  test("enums", () => {
    const enums = Object.fromEntries(file_musicfs_v1_musicfs.enums.map((e) => [e.name, e.values.map((v) => `${v.name}=${v.number}`).join(" ")]));
    expect(enums).toEqual({
      MountState: "MOUNT_UNKNOWN=0 MOUNT_MOUNTING=1 MOUNT_READY=2 MOUNT_SYNCING=3 MOUNT_DEGRADED=4 MOUNT_UNMOUNTING=5",
      HealthStatus: "HEALTH_UNKNOWN=0 HEALTH_HEALTHY=1 HEALTH_DEGRADED=2 HEALTH_UNHEALTHY=3",
    });
  });
});

test("committed generated code matches the .proto files (scripts/gen-proto.ts --check)", () => {
  const r = Bun.spawnSync([BUN, path.join(REPO, "scripts/gen-proto.ts"), "--check"], { cwd: REPO });
  expect(r.stderr.toString()).toBe("");
  expect(r.exitCode).toBe(0);
});
