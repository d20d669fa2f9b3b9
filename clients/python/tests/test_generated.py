"""The installed privacyd-client package: the generated modules import as documented, pass
protobuf's and grpcio's runtime version checks, and match the protos they came from."""

from __future__ import annotations

import importlib
import importlib.metadata
import importlib.resources
from pathlib import Path

import pytest
from google.protobuf import descriptor_pb2
from packaging.requirements import Requirement
from packaging.version import Version

PROTO_ROOT = Path(__file__).resolve().parents[3] / "proto"
MODULES = [
    "privacy.v1.privacy_request_service_pb2",
    "privacy.v1.data_source_registry_service_pb2",
    "privacy.datasource.v1.data_source_service_pb2",
]


@pytest.mark.parametrize("name", MODULES)
def test_modules_import_from_the_installed_package(name: str) -> None:
    # Importing runs protobuf's ValidateProtobufRuntimeVersion and grpcio's version check;
    # either raises when the installed runtime is older than the gencode.
    messages = importlib.import_module(name)
    services = importlib.import_module(name + "_grpc")

    path = Path(messages.__file__ or "")
    assert "site-packages" in path.parts, f"{name} was imported from {path}, not the installed package"
    for service in messages.DESCRIPTOR.services_by_name:
        assert hasattr(services, f"{service}Stub")
        assert hasattr(services, f"{service}Servicer")
        assert hasattr(services, f"add_{service}Servicer_to_server")


def test_package_ships_type_information() -> None:
    package = importlib.resources.files("privacy")
    assert package.joinpath("py.typed").is_file()
    for name in MODULES:
        stub = name.removeprefix("privacy.").replace(".", "/") + ".pyi"
        assert package.joinpath(stub).is_file(), stub


def test_dependency_ranges_start_at_the_gencode_versions() -> None:
    """pyproject.toml's lower bounds must follow the grpcio-tools pin: generated code refuses
    to load on an older runtime, so a range that admits one installs a broken package."""
    from privacy.v1 import privacy_request_service_pb2, privacy_request_service_pb2_grpc

    requires = {
        r.name: r.specifier
        for r in map(Requirement, importlib.metadata.requires("privacyd-client") or [])
        if r.marker is None
    }
    grpc_gencode = Version(privacy_request_service_pb2_grpc.GRPC_GENERATED_VERSION)
    header = Path(privacy_request_service_pb2.__file__ or "").read_text().split("\n", 10)
    protobuf_gencode = Version(
        next(line for line in header if line.startswith("# Protobuf Python Version:")).split(":")[1].strip()
    )
    for name, gencode in [("grpcio", grpc_gencode), ("protobuf", protobuf_gencode)]:
        assert gencode in requires[name], (name, requires[name])
        assert just_below(gencode) not in requires[name], (name, requires[name])
        assert Version(f"{gencode.major + 1}.0.0") not in requires[name], (name, requires[name])


def just_below(version: Version) -> Version:
    if version.micro:
        return Version(f"{version.major}.{version.minor}.{version.micro - 1}")
    return Version(f"{version.major}.{version.minor - 1}.9999")


@pytest.mark.skipif(not PROTO_ROOT.is_dir(), reason="run from a checkout of the privacyd repository")
def test_generated_services_match_the_protos() -> None:
    """Every rpc in proto/ is in the generated descriptors (a cheap guard on top of
    generate.sh --check, which compares the files byte for byte)."""
    from privacy.datasource.v1 import data_source_service_pb2
    from privacy.v1 import data_source_registry_service_pb2, privacy_request_service_pb2

    generated = {
        "privacy/v1/privacy_request_service.proto": privacy_request_service_pb2,
        "privacy/v1/data_source_registry_service.proto": data_source_registry_service_pb2,
        "privacy/datasource/v1/data_source_service.proto": data_source_service_pb2,
    }
    assert sorted(generated) == sorted(str(p.relative_to(PROTO_ROOT)) for p in PROTO_ROOT.rglob("*.proto"))
    for relative, module in generated.items():
        file = descriptor_pb2.FileDescriptorProto()
        module.DESCRIPTOR.CopyToProto(file)
        text = (PROTO_ROOT / relative).read_text()
        for service in file.service:
            for method in service.method:
                assert f"rpc {method.name}(" in text, (relative, method.name)
            declared = text.count("  rpc ")
            assert declared == len(service.method), (relative, declared, len(service.method))
