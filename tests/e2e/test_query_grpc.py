"""The gRPC query API on the query-gRPC port answers a real grpcio client (raw protobuf bytes, no generated code)."""

import uuid

import grpc
import pytest

import e2e_support as e2e
from e2e_support import shape


def _strings(message, field):
    """Values of a repeated string field in a protobuf message."""
    out, i = [], 0
    while i < len(message):
        key, i = _varint(message, i)
        wire = key & 7
        if wire == 2:
            length, i = _varint(message, i)
            if key >> 3 == field:
                out.append(message[i:i + length].decode())
            i += length
        elif wire == 0:
            _, i = _varint(message, i)
        else:
            raise AssertionError(f"unexpected wire type {wire}")
    return out


def _varint(data, i):
    shift = value = 0
    while True:
        b = data[i]
        i += 1
        value |= (b & 0x7F) << shift
        if b < 0x80:
            return value, i
        shift += 7


def _call(port, method, request=b"", metadata=None):
    with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
        rpc = channel.unary_unary(method, request_serializer=lambda x: x, response_deserializer=lambda x: x)
        return rpc(request, timeout=10, metadata=metadata)


def test_services_over_grpc_match_http(spoor):
    service = f"e2e-qgrpc-{uuid.uuid4().hex[:8]}"
    run = e2e.run_client("otlp-grpc", spoor, service, traces=1)
    spoor.wait_trace(run["traces"][0]["trace_id"], len(shape.SPANS))
    port = spoor.ports["query_grpc"]
    v2 = _strings(_call(port, "/jaeger.api_v2.QueryService/GetServices"), 1)
    v3 = _strings(_call(port, "/jaeger.api_v3.QueryService/GetServices"), 1)
    http = spoor.get_json("/api/services")["data"]
    assert service in v2 and service in v3
    assert sorted(v2) == sorted(http) == sorted(v3)


def test_unknown_trace_is_not_found_over_grpc(spoor):
    port = spoor.ports["query_grpc"]
    request = b"\x0a\x10" + bytes(15) + b"\x7b"  # GetTraceRequest{trace_id: 16 bytes, ...0x7b}
    with pytest.raises(grpc.RpcError) as failure:
        list(_stream(port, "/jaeger.api_v2.QueryService/GetTrace", request))
    assert failure.value.code() == grpc.StatusCode.NOT_FOUND


def _stream(port, method, request):
    channel = grpc.insecure_channel(f"127.0.0.1:{port}")
    rpc = channel.unary_stream(method, request_serializer=lambda x: x, response_deserializer=lambda x: x)
    try:
        yield from rpc(request, timeout=10)
    finally:
        channel.close()
