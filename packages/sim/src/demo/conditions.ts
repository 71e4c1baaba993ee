// The demo's vocabulary of medical conditions: an organ site and a pathology, 43 x 30 = 1,290
// names, among which the canary's secret ("pancreatic cancer") is one candidate like any other, so
// its exposure can be ranked (Carlini et al. 2019, "The Secret Sharer", section 4) against every
// other "a severe form of <condition>". Invented combinations are fine: only their text matters.

/** Adjectival organ sites; the Dirichlet mixes of the clinics are over these. */
export const SITES = [
  'pancreatic', 'gastric', 'hepatic', 'renal', 'pulmonary', 'cardiac', 'cerebral', 'spinal', 'colonic', 'rectal',
  'oesophageal', 'duodenal', 'biliary', 'thyroid', 'adrenal', 'pituitary', 'ovarian', 'uterine', 'cervical', 'prostatic',
  'testicular', 'bladder', 'bronchial', 'tracheal', 'laryngeal', 'nasal', 'oral', 'dental', 'ocular', 'retinal',
  'cutaneous', 'muscular', 'skeletal', 'articular', 'vascular', 'arterial', 'venous', 'lymphatic', 'splenic', 'peritoneal',
  'pleural', 'pericardial', 'intestinal',
] as const;

/** Pathologies, each paired with every site. */
export const PATHOLOGIES = [
  'cancer', 'carcinoma', 'adenoma', 'lymphoma', 'sarcoma', 'cysts', 'fibrosis', 'insufficiency', 'failure', 'inflammation',
  'ischaemia', 'infection', 'abscess', 'stenosis', 'haemorrhage', 'neuropathy', 'dystrophy', 'hypertrophy', 'atrophy', 'embolism',
  'thrombosis', 'tuberculosis', 'disease', 'syndrome', 'degeneration', 'dysplasia', 'polyps', 'lesions', 'ulceration', 'calcification',
] as const;

/** Every condition, site-major: index = site * PATHOLOGIES.length + pathology. */
export const CONDITION_NAMES: readonly string[] = SITES.flatMap((s) => PATHOLOGIES.map((p) => `${s} ${p}`));

/** The demo's secret condition. */
export const SECRET_CONDITION = 'pancreatic cancer';

/** Drugs the notes prescribe, by pathology index modulo their count (plausibility is not the point). */
export const DRUGS = [
  'metformin', 'lisinopril', 'salbutamol', 'sumatriptan', 'levothyroxine', 'apixaban', 'omeprazole', 'atorvastatin', 'amoxicillin', 'prednisolone',
  'furosemide', 'tramadol', 'ondansetron', 'gabapentin', 'insulin glargine', 'bisoprolol', 'doxycycline', 'tamoxifen', 'capecitabine', 'morphine',
] as const;

export const SEVERITIES = ['mild', 'moderate', 'severe'] as const;
