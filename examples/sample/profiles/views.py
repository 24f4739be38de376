from django.shortcuts import get_object_or_404, render

from .models import Profile


def index(request):
    profiles_list = Profile.objects.select_related("user").order_by("user__username")
    return render(request, "profiles/index.html", {"profiles_list": profiles_list})


def profile(request, username):
    item = get_object_or_404(Profile.objects.select_related("user"), user__username=username)
    return render(request, "profiles/profile.html", {"profile": item})
