app_name = "petitions"

# The pages arrive with this app's issue.
urlpatterns: list = []
