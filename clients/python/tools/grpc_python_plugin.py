"""A protoc plugin (CodeGeneratorRequest on stdin, CodeGeneratorResponse on stdout) that runs
grpcio-tools' bundled protoc with --grpc_python_out on the request's descriptors."""

import os
import sys
import tempfile

from google.protobuf import descriptor_pb2
from google.protobuf.compiler import plugin_pb2
from grpc_tools import protoc


def main() -> int:
    request = plugin_pb2.CodeGeneratorRequest.FromString(sys.stdin.buffer.read())
    response = plugin_pb2.CodeGeneratorResponse(
        supported_features=plugin_pb2.CodeGeneratorResponse.FEATURE_PROTO3_OPTIONAL
    )
    # Stubs only for files that define services: the others' would hold nothing but imports.
    with_services = [f.name for f in request.proto_file if f.name in request.file_to_generate and f.service]
    if not with_services:
        sys.stdout.buffer.write(response.SerializeToString())
        return 0
    with tempfile.TemporaryDirectory() as scratch:
        descriptors = os.path.join(scratch, "descriptors.binpb")
        with open(descriptors, "wb") as out:
            out.write(descriptor_pb2.FileDescriptorSet(file=request.proto_file).SerializeToString())
        out_dir = os.path.join(scratch, "out")
        os.mkdir(out_dir)
        if request.parameter:
            option = f"--grpc_python_out={request.parameter}:{out_dir}"
        else:
            option = f"--grpc_python_out={out_dir}"
        status = protoc.main(["protoc", f"--descriptor_set_in={descriptors}", option, *with_services])
        if status != 0:
            response.error = f"grpc_tools.protoc failed with status {status}"
        else:
            for root, _, files in os.walk(out_dir):
                for name in sorted(files):
                    path = os.path.join(root, name)
                    with open(path, encoding="utf-8") as generated:
                        response.file.add(name=os.path.relpath(path, out_dir), content=generated.read())
    sys.stdout.buffer.write(response.SerializeToString())
    return 0


if __name__ == "__main__":
    sys.exit(main())
