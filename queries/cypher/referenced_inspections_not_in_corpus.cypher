// referenced_inspections_not_in_corpus — earlier inspections a document refers to whose letter is not in the corpus
// params: —
MATCH (ref:Reference)-[:FROM]->(d:Document)
WHERE NOT (ref)-[:REFERS_TO]->(:Document)
RETURN ref.id AS reference, ref.kind AS kind, ref.date AS date, ref.area AS area, d.id AS document
ORDER BY date, reference
