#!/usr/bin/env python3
"""Reads TensorBoard event files with the standard library only (no tensorflow/tensorboard package):
TFRecord framing with both masked CRC-32C checks, then the Event / Summary / TensorProto /
HParamsPluginData protobufs decoded from their .proto field numbers (tensorflow/core/util/event.proto,
tensorflow/core/framework/summary.proto, tensor.proto, tensor_shape.proto; tensorboard/plugins/hparams/
api.proto, plugin_data.proto; google/protobuf/struct.proto).

Usage: tfevents_reader.py FILE_OR_FOLDER   -> JSON on stdout:
  {"files": n, "records": n, "file_version": str, "scalars": [[tag, step, value]],
   "texts": [[tag, step, text]], "plugins": {tag: plugin_name},
   "experiment": {"hparams": [[name, type]], "metrics": [[group, tag]]} | null,
   "session_start": {"hparams": {name: value}, "start_time_secs": t} | null,
   "session_end": {"status": n, "end_time_secs": t} | null}
Exits 1 with a message on a bad CRC or a truncated record.
"""
import json
import os
import struct
import sys

# --- CRC-32C (Castagnoli, reflected 0x82F63B78) and TFRecord's mask ---
_TABLE = []
for _i in range(256):
    _c = _i
    for _ in range(8):
        _c = (_c >> 1) ^ 0x82F63B78 if _c & 1 else _c >> 1
    _TABLE.append(_c)


def crc32c(data):
    c = 0xFFFFFFFF
    for b in data:
        c = _TABLE[(c ^ b) & 0xFF] ^ (c >> 8)
    return c ^ 0xFFFFFFFF


def masked(data):
    c = crc32c(data)
    return (((c >> 15) | (c << 17)) + 0xA282EAD8) & 0xFFFFFFFF


def records(path):
    with open(path, "rb") as f:
        buf = f.read()
    pos = 0
    while pos < len(buf):
        if pos + 12 > len(buf):
            sys.exit(f"{path}: truncated header at {pos}")
        header = buf[pos:pos + 8]
        (length,) = struct.unpack("<Q", header)
        (hcrc,) = struct.unpack("<I", buf[pos + 8:pos + 12])
        if hcrc != masked(header):
            sys.exit(f"{path}: bad length crc at {pos}")
        data = buf[pos + 12:pos + 12 + length]
        if len(data) != length or pos + 16 + length > len(buf):
            sys.exit(f"{path}: truncated record at {pos}")
        (dcrc,) = struct.unpack("<I", buf[pos + 12 + length:pos + 16 + length])
        if dcrc != masked(data):
            sys.exit(f"{path}: bad data crc at {pos}")
        yield data
        pos += 16 + length


# --- protobuf wire format ---
def varint(b, pos):
    shift = result = 0
    while True:
        byte = b[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return result, pos
        shift += 7


def fields(b):
    """{field number: [values]}: ints for varints, bytes for length-delimited, raw 4/8 bytes for fixed."""
    out = {}
    pos = 0
    while pos < len(b):
        key, pos = varint(b, pos)
        num, wt = key >> 3, key & 7
        if wt == 0:
            v, pos = varint(b, pos)
        elif wt == 1:
            v, pos = b[pos:pos + 8], pos + 8
        elif wt == 2:
            n, pos = varint(b, pos)
            v, pos = b[pos:pos + n], pos + n
        elif wt == 5:
            v, pos = b[pos:pos + 4], pos + 4
        else:
            raise ValueError(f"wire type {wt}")
        out.setdefault(num, []).append(v)
    return out


def first(f, num, default=None):
    return f[num][0] if num in f else default


def f64(raw):
    return struct.unpack("<d", raw)[0]


def f32(raw):
    return struct.unpack("<f", raw)[0]


def signed(v):
    return v - (1 << 64) if v >= 1 << 63 else v


def pb_value(b):  # google.protobuf.Value
    f = fields(b)
    if 2 in f:
        return f64(f[2][0])
    if 3 in f:
        return f[3][0].decode()
    if 4 in f:
        return bool(f[4][0])
    return None


def main():
    target = sys.argv[1]
    paths = [target] if os.path.isfile(target) else sorted(
        os.path.join(d, n) for d, _, ns in os.walk(target) for n in ns if "tfevents" in n)
    out = {"files": len(paths), "records": 0, "file_version": None, "scalars": [], "texts": [], "plugins": {},
           "experiment": None, "session_start": None, "session_end": None}
    for path in paths:
        for data in records(path):
            out["records"] += 1
            ev = fields(data)  # Event: wall_time 1, step 2, file_version 3, summary 5
            if 3 in ev:
                out["file_version"] = ev[3][0].decode()
            step = signed(first(ev, 2, 0))
            for summary in ev.get(5, []):
                for raw in fields(summary).get(1, []):  # Summary.value
                    v = fields(raw)  # tag 1, simple_value 2, tensor 8, metadata 9
                    tag = v[1][0].decode()
                    plugin, content = None, b""
                    if 9 in v:
                        pd = fields(first(fields(v[9][0]), 1, b""))  # SummaryMetadata.plugin_data
                        plugin = first(pd, 1, b"").decode()
                        content = first(pd, 2, b"")
                        out["plugins"][tag] = plugin
                    if 2 in v:
                        out["scalars"].append([tag, step, f32(v[2][0])])
                    elif plugin == "text":
                        t = fields(v[8][0])  # TensorProto: dtype 1, shape 2, string_val 8
                        assert first(t, 1) == 7, "text tensor is not DT_STRING"
                        dims = [first(fields(d), 1, 0) for d in fields(first(t, 2, b"")).get(2, [])]
                        assert dims == [1], f"text tensor shape {dims}"
                        out["texts"].append([tag, step, t[8][0].decode()])
                    elif plugin == "hparams":
                        # metadata.NULL_TENSOR: DT_FLOAT, shape [0], no values (08 01 12 02 12 00)
                        assert first(v, 8) == b"\x08\x01\x12\x02\x12\x00", f"hparams tensor {first(v, 8)!r}"
                        hp = fields(content)  # version 1, experiment 2, session_start_info 3, session_end_info 4
                        assert first(hp, 1, 0) == 0, "hparams plugin data version"
                        if 2 in hp:
                            e = fields(hp[2][0])  # hparam_infos 4 {name 1, type 4}, metric_infos 5 {name 1 {group 1, tag 2}}
                            infos = [fields(x) for x in e.get(4, [])]
                            metrics = [fields(first(fields(x), 1, b"")) for x in e.get(5, [])]
                            out["experiment"] = {
                                "hparams": [[first(i, 1).decode(), first(i, 4, 0)] for i in infos],
                                "metrics": [[first(m, 1, b"").decode(), first(m, 2, b"").decode()] for m in metrics]}
                        if 3 in hp:
                            s = fields(hp[3][0])  # hparams 1 (map entry key 1, value 2), start_time_secs 5
                            entries = [fields(x) for x in s.get(1, [])]
                            out["session_start"] = {
                                "hparams": {first(e, 1).decode(): pb_value(first(e, 2, b"")) for e in entries},
                                "start_time_secs": f64(first(s, 5, b"\0" * 8))}
                        if 4 in hp:
                            s = fields(hp[4][0])  # status 1, end_time_secs 2
                            out["session_end"] = {"status": first(s, 1, 0), "end_time_secs": f64(first(s, 2, b"\0" * 8))}
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
