"""`outreach import`: people from a vCard or CSV export, appended to contacts.yaml.

Reading and deciding are plain functions of values: an export's text becomes `Entry`
values as exported (`vcard`, `csv_export`), then `Person` values, checked (`people`),
then a plan of who is added and who is skipped (`merge`), then the new text of
contacts.yaml (`append`). Only `import_people` (`importer`) touches files.
"""
