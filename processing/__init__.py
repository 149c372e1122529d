"""The processing stages: what the NLP results become in the database.

`classify` stores classifications and city attributions of new articles, `clustering` joins them into events,
`incidents` applies the major-incident rule and votes event labels, `feedback` links government feedback. `nlp/`
holds the text side (models, rules, the clustering engine) and never writes to the database itself.
"""
