# The audit triggers of a meeting (now of a case or a deliberation) and of a deliberation.

import pgtrigger.compiler
import pgtrigger.migrations
from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('cases', '0014_deliberation'),
        # The triggers write into the audit app's history tables.
        ('audit', '0007_deliberation_history'),
    ]

    operations = [
        pgtrigger.migrations.AddTrigger(
            model_name='meeting',
            trigger=pgtrigger.compiler.Trigger(name='insert_insert', sql=pgtrigger.compiler.UpsertTriggerSql(func='INSERT INTO "audit_meetinghistory" ("case_id", "chair", "deliberation_id", "held_at", "id", "minutes", "outcome", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "place", "question", "recorded_at", "recorded_by_id", "round", "submission_token") VALUES (NEW."case_id", NEW."chair", NEW."deliberation_id", NEW."held_at", NEW."id", NEW."minutes", NEW."outcome", _pgh_attach_context(), NOW(), \'insert\', NEW."id", NEW."place", NEW."question", NEW."recorded_at", NEW."recorded_by_id", NEW."round", NEW."submission_token"); RETURN NULL;', hash='f20f11329ffe1364fb7eb0d75421a077f61df8e0', operation='INSERT', pgid='pgtrigger_insert_insert_6e86b', table='cases_meeting', when='AFTER')),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name='meeting',
            trigger=pgtrigger.compiler.Trigger(name='update_update', sql=pgtrigger.compiler.UpsertTriggerSql(condition='WHEN (OLD.* IS DISTINCT FROM NEW.*)', func='INSERT INTO "audit_meetinghistory" ("case_id", "chair", "deliberation_id", "held_at", "id", "minutes", "outcome", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "place", "question", "recorded_at", "recorded_by_id", "round", "submission_token") VALUES (NEW."case_id", NEW."chair", NEW."deliberation_id", NEW."held_at", NEW."id", NEW."minutes", NEW."outcome", _pgh_attach_context(), NOW(), \'update\', NEW."id", NEW."place", NEW."question", NEW."recorded_at", NEW."recorded_by_id", NEW."round", NEW."submission_token"); RETURN NULL;', hash='41cf5e0f7afe6b03d69e3838e12e496699fd4da3', operation='UPDATE', pgid='pgtrigger_update_update_bed0c', table='cases_meeting', when='AFTER')),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name='meeting',
            trigger=pgtrigger.compiler.Trigger(name='delete_delete', sql=pgtrigger.compiler.UpsertTriggerSql(func='INSERT INTO "audit_meetinghistory" ("case_id", "chair", "deliberation_id", "held_at", "id", "minutes", "outcome", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "place", "question", "recorded_at", "recorded_by_id", "round", "submission_token") VALUES (OLD."case_id", OLD."chair", OLD."deliberation_id", OLD."held_at", OLD."id", OLD."minutes", OLD."outcome", _pgh_attach_context(), NOW(), \'delete\', OLD."id", OLD."place", OLD."question", OLD."recorded_at", OLD."recorded_by_id", OLD."round", OLD."submission_token"); RETURN NULL;', hash='8cc15bf8342df0181f6002654179c87284e33724', operation='DELETE', pgid='pgtrigger_delete_delete_93aa4', table='cases_meeting', when='AFTER')),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name='deliberation',
            trigger=pgtrigger.compiler.Trigger(name='insert_insert', sql=pgtrigger.compiler.UpsertTriggerSql(func='INSERT INTO "audit_deliberationhistory" ("carried_out_at", "carried_out_note", "community_id", "created_by_id", "decided_at", "decision", "deliberated_at", "description", "drop_reason", "dropped_at", "fixed_at", "gathered_at", "grid_id", "id", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "report_back", "reported_at", "status", "submission_token", "suggestions", "title") VALUES (NEW."carried_out_at", NEW."carried_out_note", NEW."community_id", NEW."created_by_id", NEW."decided_at", NEW."decision", NEW."deliberated_at", NEW."description", NEW."drop_reason", NEW."dropped_at", NEW."fixed_at", NEW."gathered_at", NEW."grid_id", NEW."id", _pgh_attach_context(), NOW(), \'insert\', NEW."id", NEW."report_back", NEW."reported_at", NEW."status", NEW."submission_token", NEW."suggestions", NEW."title"); RETURN NULL;', hash='b318400a89975ef426369d35295ea73b99e750df', operation='INSERT', pgid='pgtrigger_insert_insert_cd542', table='cases_deliberation', when='AFTER')),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name='deliberation',
            trigger=pgtrigger.compiler.Trigger(name='update_update', sql=pgtrigger.compiler.UpsertTriggerSql(condition='WHEN (OLD.* IS DISTINCT FROM NEW.*)', func='INSERT INTO "audit_deliberationhistory" ("carried_out_at", "carried_out_note", "community_id", "created_by_id", "decided_at", "decision", "deliberated_at", "description", "drop_reason", "dropped_at", "fixed_at", "gathered_at", "grid_id", "id", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "report_back", "reported_at", "status", "submission_token", "suggestions", "title") VALUES (NEW."carried_out_at", NEW."carried_out_note", NEW."community_id", NEW."created_by_id", NEW."decided_at", NEW."decision", NEW."deliberated_at", NEW."description", NEW."drop_reason", NEW."dropped_at", NEW."fixed_at", NEW."gathered_at", NEW."grid_id", NEW."id", _pgh_attach_context(), NOW(), \'update\', NEW."id", NEW."report_back", NEW."reported_at", NEW."status", NEW."submission_token", NEW."suggestions", NEW."title"); RETURN NULL;', hash='62738f20cadc549082986deebbb3f2533190f246', operation='UPDATE', pgid='pgtrigger_update_update_c22b9', table='cases_deliberation', when='AFTER')),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name='deliberation',
            trigger=pgtrigger.compiler.Trigger(name='delete_delete', sql=pgtrigger.compiler.UpsertTriggerSql(func='INSERT INTO "audit_deliberationhistory" ("carried_out_at", "carried_out_note", "community_id", "created_by_id", "decided_at", "decision", "deliberated_at", "description", "drop_reason", "dropped_at", "fixed_at", "gathered_at", "grid_id", "id", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "report_back", "reported_at", "status", "submission_token", "suggestions", "title") VALUES (OLD."carried_out_at", OLD."carried_out_note", OLD."community_id", OLD."created_by_id", OLD."decided_at", OLD."decision", OLD."deliberated_at", OLD."description", OLD."drop_reason", OLD."dropped_at", OLD."fixed_at", OLD."gathered_at", OLD."grid_id", OLD."id", _pgh_attach_context(), NOW(), \'delete\', OLD."id", OLD."report_back", OLD."reported_at", OLD."status", OLD."submission_token", OLD."suggestions", OLD."title"); RETURN NULL;', hash='6645b246612b9a97fffe760e4f7a20fa93f33a5c', operation='DELETE', pgid='pgtrigger_delete_delete_734a0', table='cases_deliberation', when='AFTER')),
        ),
    ]
