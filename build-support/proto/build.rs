//! Compiles every `.proto` under the repository's `proto/` directory with protox (no protoc needed)
//! into tonic clients and servers, and writes the encoded descriptor set next to them.

use std::path::{Path, PathBuf};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // Read when the script runs, not baked in when it is compiled: a target dir shared by
    // several checkouts (CI's persistent one, worktrees) reuses the compiled script.
    let proto_root = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR")?).join("../../proto");
    // protox does not announce its inputs, so cargo must be told to watch the whole tree.
    println!("cargo:rerun-if-changed={}", proto_root.display());

    let files = our_protos(&proto_root.join("estospaces"))?;
    let mut compiler = protox::Compiler::new([&proto_root])?;
    compiler
        .include_source_info(true) // doc comments reach the generated code
        .include_imports(true)
        .open_files(&files)?;

    // Encoded by protox itself: prost-types' structs would drop the custom options
    // (`google.api.http`, `field_behavior`) that reflection clients and the gateway read.
    let out_dir = PathBuf::from(std::env::var("OUT_DIR")?);
    std::fs::write(
        out_dir.join("estospaces_descriptor.bin"),
        compiler.encode_file_descriptor_set(),
    )?;
    let fds = compiler.file_descriptor_set();
    write_module_tree(&fds, &out_dir)?;
    write_unary_methods(&fds, &out_dir)?;

    // Google's files are compiled alongside (prost-build resolves imported types from them) and
    // simply go unused: their Rust homes are prost-types and tonic-types.
    // Type names (`prost::Name`) let events pack and check payloads as `google.protobuf.Any`.
    let mut config = prost_build::Config::new();
    config.enable_type_names();
    // `google.api` is in the module tree for `HttpBody` (responses that are not JSON, such as
    // an iCalendar feed); its upstream comments hold code samples that are not Rust doctests.
    config.disable_comments([".google.api"]);
    tonic_prost_build::configure()
        .build_client(true)
        .build_server(true)
        .compile_fds_with_config(fds, config)?;
    Ok(())
}

/// Writes `modules.rs`: one nested `pub mod` per `estospaces.*` package, each including its
/// generated file, plus a short alias per package (`identity_v1`), so adding a package needs no
/// edit to `lib.rs`.
fn write_module_tree(fds: &prost_types::FileDescriptorSet, out_dir: &Path) -> std::io::Result<()> {
    use std::collections::BTreeMap;

    #[derive(Default)]
    struct Node {
        package: Option<String>,
        children: BTreeMap<String, Node>,
    }
    fn render(node: &Node, out: &mut String) {
        if let Some(package) = &node.package {
            out.push_str(&format!("tonic::include_proto!(\"{package}\");\n"));
        }
        for (name, child) in &node.children {
            out.push_str(&format!("pub mod {name} {{\n"));
            render(child, out);
            out.push_str("}\n");
        }
    }

    let mut root = Node::default();
    for file in &fds.file {
        let package = file.package();
        if !package.starts_with("estospaces.") && package != "google.api" {
            continue;
        }
        let node = package.split('.').fold(&mut root, |node, part| {
            node.children.entry(part.to_owned()).or_default()
        });
        node.package = Some(package.to_owned());
    }
    let mut out = String::new();
    render(&root, &mut out);
    // Short aliases: `estospaces.identity.v1` is also `identity_v1`.
    let mut packages: Vec<&str> = fds
        .file
        .iter()
        .map(|file| file.package())
        .filter(|package| package.starts_with("estospaces."))
        .collect();
    packages.sort_unstable();
    packages.dedup();
    for package in packages {
        let path = package.replace('.', "::");
        let alias = package.trim_start_matches("estospaces.").replace('.', "_");
        out.push_str(&format!("pub use {path} as {alias};\n"));
    }
    std::fs::write(out_dir.join("modules.rs"), out)
}

/// Writes `unary_methods.rs`: every unary method by gRPC path, sorted, with the field number of
/// its request's own `request_id` (a singular string), if it has one. The idempotency layer in
/// every service needs only this, not the decoded descriptor pool (several MiB per process).
fn write_unary_methods(
    fds: &prost_types::FileDescriptorSet,
    out_dir: &Path,
) -> std::io::Result<()> {
    use prost_types::DescriptorProto;
    use prost_types::field_descriptor_proto::{Label, Type};
    use std::collections::HashMap;

    fn index<'a>(
        scope: &str,
        messages: &'a [DescriptorProto],
        into: &mut HashMap<String, &'a DescriptorProto>,
    ) {
        for message in messages {
            let name = format!("{scope}.{}", message.name());
            index(&name, &message.nested_type, into);
            into.insert(name, message);
        }
    }
    let mut messages = HashMap::new();
    for file in &fds.file {
        let scope = match file.package() {
            "" => String::new(),
            package => format!(".{package}"),
        };
        index(&scope, &file.message_type, &mut messages);
    }
    let mut methods = Vec::new();
    for file in &fds.file {
        for service in &file.service {
            for method in &service.method {
                if method.client_streaming() || method.server_streaming() {
                    continue;
                }
                let input = messages.get(method.input_type()).ok_or_else(|| {
                    std::io::Error::other(format!("no message {}", method.input_type()))
                })?;
                let request_id = input
                    .field
                    .iter()
                    .find(|field| {
                        field.name() == "request_id"
                            && field.r#type() == Type::String
                            && field.label() != Label::Repeated
                    })
                    .map(|field| field.number());
                let path = format!("/{}.{}/{}", file.package(), service.name(), method.name());
                methods.push((path, request_id));
            }
        }
    }
    methods.sort();
    let mut out = String::from("&[\n");
    for (path, request_id) in methods {
        out.push_str(&format!(
            "    UnaryMethod {{ path: {path:?}, request_id: {request_id:?} }},\n"
        ));
    }
    out.push_str("]\n");
    std::fs::write(out_dir.join("unary_methods.rs"), out)
}

/// Every `.proto` file below `dir`, relative to the proto root, sorted for reproducible output.
fn our_protos(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut found = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir)? {
            let path = entry?.path();
            if path.is_dir() {
                pending.push(path);
            } else if path.extension().is_some_and(|ext| ext == "proto") {
                found.push(path);
            }
        }
    }
    found.sort();
    let root = dir
        .parent()
        .expect("the estospaces directory sits inside the proto root");
    Ok(found
        .into_iter()
        .map(|path| {
            path.strip_prefix(root)
                .map(Path::to_path_buf)
                .unwrap_or(path)
        })
        .collect())
}
