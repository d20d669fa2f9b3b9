-- A receipt is written once and never changed, whoever connects to the database.
CREATE TRIGGER erasure_receipts_no_update BEFORE UPDATE ON erasure_receipts
BEGIN
    SELECT RAISE(ABORT, 'erasure_receipts is write-once');
END;

CREATE TRIGGER erasure_receipts_no_delete BEFORE DELETE ON erasure_receipts
BEGIN
    SELECT RAISE(ABORT, 'erasure_receipts is write-once');
END;
