"""GET /api/v1/notifications/ (the caller's own) and POST .../{id}/read/."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from . import services
from .filters import NotificationFilter
from .models import Notification
from .permissions import notifications_for


class NotificationSerializer(serializers.ModelSerializer):
    package = serializers.IntegerField(source="package_id", allow_null=True, read_only=True)
    invoice = serializers.IntegerField(source="invoice_id", allow_null=True, read_only=True)
    read = serializers.BooleanField(read_only=True)

    class Meta:
        model = Notification
        fields = ["id", "kind", "message", "created_at", "read", "package", "invoice", "link"]
        read_only_fields = fields


class NotificationViewSet(viewsets.ReadOnlyModelViewSet):
    """The caller's own notifications, newest first; another user's is a 404."""

    serializer_class = NotificationSerializer
    filterset_class = NotificationFilter

    def get_queryset(self):
        return notifications_for(self.request.user).order_by("-created_at", "-pk")

    @extend_schema(request=None, responses=NotificationSerializer)
    @action(detail=True, methods=["post"])
    def read(self, request, pk=None):
        notification = self.get_object()
        marked = services.mark_read(notification_id=notification.pk, by=request.user)
        return Response(NotificationSerializer(marked).data)
