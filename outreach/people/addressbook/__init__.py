"""`outreach import`: people from a vCard or CSV export, appended to contacts.yaml.

Reading and deciding are plain functions of values: an export's text becomes `Card`
values, the address cards as exported (`vcard`, `csv_cards`), then `Person` values, checked
(`cards`), then a plan of who is added and who is skipped (`merge`), then the new text of
contacts.yaml (`append`). Only `import_people` (`importer`) touches files.
"""
