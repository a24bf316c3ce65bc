// documents — the documents in the graph and how many statements each holds
// params: —
MATCH (d:Document)
RETURN d.id AS document, d.file AS file, d.kind AS kind, d.area AS area, d.published AS published,
       d.statements AS statements
ORDER BY published, document
