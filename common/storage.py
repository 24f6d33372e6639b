"""Where attachments are kept: S3-compatible object storage when configured, else files under MEDIA_ROOT.

Every photo (a case's, a visit's, a patrol finding's, an activity's, the intake's kept ones) is written
and read through Django's storage API only, so the same code runs on either. Several app servers need the
object storage: files under one server's MEDIA_ROOT are not on the others. Photos are private either way:
the portal serves them through its own views, in the viewer's scope (`cases.views.attachment`,
`visits.views_photos.photo`, `volunteers.views.photo`), and never hands out a URL of the storage's own.
"""

FILE_SYSTEM = {"BACKEND": "django.core.files.storage.FileSystemStorage"}


def object_storage(
    *,
    bucket: str,
    endpoint_url: str = "",
    access_key_id: str = "",
    secret_access_key: str = "",
    region: str = "",
    addressing_style: str = "",
) -> dict:
    """STORAGES["default"] for a bucket of an S3-compatible service (django-storages with boto3).

    Empty values are left to boto3 (its own endpoint, credentials chain and region). The bucket must not
    be public: objects are written with the bucket's own (private) ACL, and a name already taken gets a
    new one rather than replacing a stored photo.
    """
    options = {
        "bucket_name": bucket,
        "endpoint_url": endpoint_url or None,
        "access_key": access_key_id or None,
        "secret_key": secret_access_key or None,
        "region_name": region or None,
        # "path" for servers addressed by IP or without wildcard DNS (MinIO, Ceph); "virtual" where the
        # service requires it (some clouds' S3 APIs); empty leaves boto3's choice.
        "addressing_style": addressing_style or None,
        "file_overwrite": False,
        # If a URL were ever asked for, it would be signed and short-lived, never public.
        "querystring_auth": True,
        "querystring_expire": 60,
    }
    return {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": options}
