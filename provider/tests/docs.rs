//! The registry docs document every argument and attribute of every schema.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests fail by panicking

use jit_provider::schema::Block;
use std::path::Path;

fn names(b: &Block, out: &mut Vec<String>) {
    for a in &b.attributes {
        out.push(a.name.to_string());
    }
    for nb in &b.blocks {
        out.push(nb.name.to_string());
        names(&nb.block, out);
    }
}

fn check(doc: &str, block: &Block) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs").join(doc);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut all = Vec::new();
    names(block, &mut all);
    for n in all {
        assert!(text.contains(&format!("`{n}`")), "{doc} does not document `{n}`");
    }
}

#[test]
fn every_attribute_is_documented() {
    for r in jit_provider::resources::all() {
        let short = r.type_name().trim_start_matches("jit_");
        check(&format!("resources/{short}.md"), &r.schema().block);
        let example = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("../examples/resources/{}", r.type_name()));
        assert!(
            example.join("resource.tf").is_file() && example.join("import.sh").is_file(),
            "{} lacks examples",
            r.type_name()
        );
    }
    check("ephemeral-resources/credential.md", &jit_provider::ephemeral::jit_credential::schema().block);
    for d in jit_provider::data_sources::all() {
        let short = d.type_name().trim_start_matches("jit_");
        check(&format!("data-sources/{short}.md"), &d.schema().block);
    }
}
