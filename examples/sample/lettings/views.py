from django.shortcuts import get_object_or_404, render

from .models import Letting


def index(request):
    lettings_list = Letting.objects.select_related("address").order_by("title")
    return render(request, "lettings/index.html", {"lettings_list": lettings_list})


def letting(request, letting_id):
    item = get_object_or_404(Letting.objects.select_related("address"), id=letting_id)
    return render(request, "lettings/letting.html", {"title": item.title, "address": item.address})
