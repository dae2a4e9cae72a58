-- A run that becomes claimable names its organization in the wake-up, so that a worker busy with other organizations'
-- backlogs claims from it at once (workers that ignore the payload still wake up).
CREATE OR REPLACE FUNCTION agentc2_run_queued() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('agentc2_runs', NEW.organization_id::text);
    RETURN NULL;
END $$;
