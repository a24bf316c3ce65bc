// findings_across_succession — findings concerning an agency, its predecessors and its successors, with their current status
// params: agency
MATCH (start:Agency)
WHERE $agency = '' OR start.id = $agency
MATCH (start)-[:SUCCEEDED_BY*0..]-(a:Agency)
WITH DISTINCT a
MATCH (f:Statement)-[:CONCERNS]->(a)
WHERE (f.kind = 'recommendation' OR (f.kind = 'finding' AND f.polarity = 'weakness'))
RETURN f.id AS finding, a.id AS agency, f.status AS status
ORDER BY agency, finding
