"""Other-language client for the RPC tests: Debian's python3-grpcio (gRPC C-core over h2c).

Usage: /usr/bin/python3 py_client.py TARGET DESCRIPTOR_SET [TOKEN]
TARGET is grpc's own syntax: host:port or unix:/path. DESCRIPTOR_SET is `buf build -o` output
of proto/musicfs/v1, so the messages come from the .proto itself, not from our generated TS.
(Debian's grpc_tools bundles a protoc too old for proto3 `optional`, so no stub generation.)
Prints one JSON object with what each call returned; the bun test asserts on it.
"""
import json
import sys

import grpc
from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

target, descriptor_set = sys.argv[1], sys.argv[2]
token = sys.argv[3] if len(sys.argv) > 3 else None
metadata = [("authorization", f"Bearer {token}")] if token else None

pool = descriptor_pool.DescriptorPool()
with open(descriptor_set, "rb") as f:
    for fd in descriptor_pb2.FileDescriptorSet.FromString(f.read()).file:
        pool.Add(fd)
factory = message_factory.MessageFactory(pool)


def msg(name):
    return factory.GetPrototype(pool.FindMessageTypeByName(f"musicfs.v1.{name}"))


def unary(ch, method, req_type, resp_type):
    return ch.unary_unary(f"/musicfs.v1.MusicFS/{method}", request_serializer=msg(req_type).SerializeToString, response_deserializer=msg(resp_type).FromString)


out = {}
with grpc.insecure_channel(target) as ch:
    SearchRequest, Empty = msg("SearchRequest"), msg("Empty")
    search = unary(ch, "Search", "SearchRequest", "SearchResponse")
    r = search(SearchRequest(query="metallica", limit=3), timeout=10, metadata=metadata)
    out["search"] = {"n": len(r.results), "total": r.total_matches, "first": r.results[0].virtual_path, "artist": r.results[0].artist}
    stream = ch.unary_stream("/musicfs.v1.MusicFS/SearchStream", request_serializer=SearchRequest.SerializeToString, response_deserializer=msg("SearchResult").FromString)
    out["stream"] = [m.file_id for m in stream(SearchRequest(query="metallica", limit=4, offset=1), timeout=10, metadata=metadata)]
    errors = {}
    for name, req in {
        "empty": SearchRequest(query="  "),
        "limit": SearchRequest(query="x", limit=10001),
        "syntax": SearchRequest(query='artist:"abc'),
    }.items():
        try:
            search(req, timeout=10, metadata=metadata)
            errors[name] = "OK"
        except grpc.RpcError as e:
            errors[name] = [e.code().name, e.details()]
    try:
        unary(ch, "ListOrigins", "Empty", "OriginsResponse")(Empty(), timeout=10, metadata=metadata)
    except grpc.RpcError as e:
        errors["list_origins"] = [e.code().name, e.details()]
    out["errors"] = errors
    st = unary(ch, "GetStatus", "Empty", "StatusResponse")(Empty(), timeout=10, metadata=metadata)
    out["status"] = {"version": st.version, "files_indexed": st.files_indexed}
    # grpc.health.v1 with raw bytes: an empty HealthCheckRequest is b"", SERVING is 08 01.
    out["health"] = ch.unary_unary("/grpc.health.v1.Health/Check")(b"", timeout=10).hex()
print(json.dumps(out))
