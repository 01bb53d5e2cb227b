app_name = "reviews"

# The pages arrive with this app's issue.
urlpatterns: list = []
