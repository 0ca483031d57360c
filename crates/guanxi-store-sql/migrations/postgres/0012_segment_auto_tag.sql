-- Automatic tags (issue 4): a segment may tag its members while they are members.
ALTER TABLE segments ADD COLUMN auto_tag TEXT;
