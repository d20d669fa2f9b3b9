-- A receipt is written once and never changed, whoever connects to the database.
CREATE FUNCTION erasure_receipts_write_once() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'erasure_receipts is write-once';
END;
$$;

CREATE TRIGGER erasure_receipts_no_change BEFORE UPDATE OR DELETE ON erasure_receipts
    FOR EACH ROW EXECUTE FUNCTION erasure_receipts_write_once();
