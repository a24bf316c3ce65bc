"""The project's own vocabulary as a closed namespace: a typo raises instead of minting an IRI.

Kept equal to the terms declared in ontology/sgkg.ttl (a test checks it)."""
from rdflib.namespace import DefinedNamespace, Namespace
from rdflib.term import URIRef


class SGKG(DefinedNamespace):
    _NS = Namespace("https://w3id.org/safeguarding-kg/def#")
    _fail = True

    # classes
    Action: URIRef
    Addressee: URIRef
    Agency: URIRef
    Area: URIRef
    Assessment: URIRef
    Document: URIRef
    DocumentKind: URIRef
    Evidence: URIRef
    Finding: URIRef
    FollowUp: URIRef
    Grade: URIRef
    Inspection: URIRef
    Polarity: URIRef
    Recommendation: URIRef
    Recurrence: URIRef
    Reference: URIRef
    Relation: URIRef
    RoleTemplate: URIRef
    Statement: URIRef
    Statistic: URIRef
    Status: URIRef
    Succession: URIRef
    TextSpan: URIRef

    # properties, concept schemes and concepts
    abolished: URIRef
    action_plan: URIRef
    addressed: URIRef
    addressedTo: URIRef
    agency: URIRef
    agencyType: URIRef
    annual_report: URIRef
    area: URIRef
    areaKind: URIRef
    asOf: URIRef
    assessmentOf: URIRef
    concerns: URIRef
    confidence: URIRef
    contradicts: URIRef
    cue: URIRef
    currentConfidence: URIRef
    currentStatus: URIRef
    deadline: URIRef
    deepDive: URIRef
    direction: URIRef
    documentKind: URIRef
    documentKinds: URIRef
    due: URIRef
    endDate: URIRef
    evidence: URIRef
    explanation: URIRef
    file: URIRef
    finding: URIRef
    focused_visit: URIRef
    framework: URIRef
    genericAlias: URIRef
    grade: URIRef
    gradeValue: URIRef
    inspection_report: URIRef
    inspectionKind: URIRef
    inspector: URIRef
    isOpen: URIRef
    jtai_letter: URIRef
    judgement: URIRef
    labelPattern: URIRef
    lastEvidence: URIRef
    mentions: URIRef
    mentionsAgency: URIRef
    method: URIRef
    monitoring_visit: URIRef
    namePattern: URIRef
    neutralAlias: URIRef
    news: URIRef
    no_evidence: URIRef
    organisation: URIRef
    other: URIRef
    page: URIRef
    pages: URIRef
    parentTemplate: URIRef
    persists: URIRef
    polarities: URIRef
    polarity: URIRef
    policeForce: URIRef
    previousValue: URIRef
    progress: URIRef
    referenceKind: URIRef
    refersTo: URIRef
    relation: URIRef
    relations: URIRef
    reports: URIRef
    resolvedTo: URIRef
    resolvesToAreaPoliceForce: URIRef
    review: URIRef
    role: URIRef
    score: URIRef
    section: URIRef
    setBy: URIRef
    sha256: URIRef
    source: URIRef
    startDate: URIRef
    statementA: URIRef
    statementCount: URIRef
    statementB: URIRef
    status: URIRef
    statusAsOf: URIRef
    statuses: URIRef
    strength: URIRef
    succeededBy: URIRef
    supports: URIRef
    territorialPoliceForce: URIRef
    text: URIRef
    theme: URIRef
    unit: URIRef
    value: URIRef
    weakness: URIRef
