-- The schema's fingerprint: the sha256 of every definition in schema public
-- that keeps an invariant (functions with their source, owner, privileges
-- and settings; triggers and whether they are enabled; tables, views and
-- sequences with their owner, privileges and row security; columns with
-- their privileges, constraints, indexes, rules and row-security
-- policies), one line each, sorted. gov-migrate records it
-- in the ledger after each run that changes it; readback computes it with
-- this same text, never by calling a function of the schema, so a function
-- replaced or a trigger disabled behind gov-migrate shows.
SELECT encode(sha256(convert_to(string_agg(line, E'\n' ORDER BY line COLLATE "C"), 'UTF8')), 'hex')
  FROM (SELECT format('function %s(%s) owner=%s secdef=%s volatile=%s config=%s acl=%s src=%s',
                      p.proname, pg_catalog.pg_get_function_identity_arguments(p.oid), pg_catalog.pg_get_userbyid(p.proowner),
                      p.prosecdef, p.provolatile, p.proconfig, p.proacl, pg_catalog.md5(p.prosrc)) AS line
          FROM pg_catalog.pg_proc p
         WHERE p.pronamespace = 'public'::regnamespace
        UNION ALL
        SELECT format('trigger %s on %s enabled=%s def=%s', t.tgname, c.relname, t.tgenabled, pg_catalog.pg_get_triggerdef(t.oid))
          FROM pg_catalog.pg_trigger t JOIN pg_catalog.pg_class c ON c.oid = t.tgrelid
         WHERE c.relnamespace = 'public'::regnamespace AND NOT t.tgisinternal
        UNION ALL
        SELECT format('relation %s kind=%s owner=%s acl=%s rls=%s,%s', c.relname, c.relkind, pg_catalog.pg_get_userbyid(c.relowner),
                      c.relacl, c.relrowsecurity, c.relforcerowsecurity)
          FROM pg_catalog.pg_class c
         WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')
        UNION ALL
        SELECT format('column %s.%s type=%s notnull=%s default=%s acl=%s', c.relname, a.attname,
                      pg_catalog.format_type(a.atttypid, a.atttypmod), a.attnotnull, pg_catalog.pg_get_expr(d.adbin, d.adrelid),
                      a.attacl)
          FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_class c ON c.oid = a.attrelid
               LEFT JOIN pg_catalog.pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
         WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
           AND a.attnum > 0 AND NOT a.attisdropped
        UNION ALL
        SELECT format('constraint %s on %s def=%s', co.conname, c.relname, pg_catalog.pg_get_constraintdef(co.oid))
          FROM pg_catalog.pg_constraint co JOIN pg_catalog.pg_class c ON c.oid = co.conrelid
         WHERE c.relnamespace = 'public'::regnamespace
        UNION ALL
        SELECT format('index %s on %s def=%s', ic.relname, c.relname, pg_catalog.pg_get_indexdef(i.indexrelid))
          FROM pg_catalog.pg_index i JOIN pg_catalog.pg_class c ON c.oid = i.indrelid
               JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid
         WHERE c.relnamespace = 'public'::regnamespace
        UNION ALL
        SELECT format('rule %s on %s enabled=%s def=%s', r.rulename, c.relname, r.ev_enabled, pg_catalog.pg_get_ruledef(r.oid))
          FROM pg_catalog.pg_rewrite r JOIN pg_catalog.pg_class c ON c.oid = r.ev_class
         WHERE c.relnamespace = 'public'::regnamespace AND r.rulename <> '_RETURN'
        UNION ALL
        SELECT format('policy %s on %s cmd=%s permissive=%s roles=%s using=%s check=%s', p.polname, c.relname, p.polcmd,
                      p.polpermissive, p.polroles, pg_catalog.pg_get_expr(p.polqual, p.polrelid),
                      pg_catalog.pg_get_expr(p.polwithcheck, p.polrelid))
          FROM pg_catalog.pg_policy p JOIN pg_catalog.pg_class c ON c.oid = p.polrelid
         WHERE c.relnamespace = 'public'::regnamespace) AS definitions (line)
